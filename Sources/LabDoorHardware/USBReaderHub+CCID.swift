import CLibUSB
import Foundation
import LabDoorCore
import Synchronization

// CCID contactless readers in the USB hub: the interface found from the descriptors, the kernel's driver
// (pn533_usb binds the ACR122U) detached, one bulk IN and one interrupt IN transfer always pending, commands sent
// one at a time on bulk OUT, and `CCIDSession` deciding what each reply means. A reader that misbehaves (a
// malformed reply, silence past the deadline, a failed transfer) is closed and reopened with back-off; nothing it
// sends is a read unless the session says so. Same thread rules as the hub: every call on the event thread.

/// One opened CCID reader.
final class CCIDConnection {
    let spec: USBReaderSpec
    let device: OpaquePointer
    let handle: OpaquePointer
    let interface: CCIDInterface
    let format: UIDFormat
    /// The model's feedback commands (ACS pseudo-APDUs), or nil: no feedback.
    let model: CCIDModel?
    var session: CCIDSession
    var attempt: Int
    /// Commands the session asked to send, oldest first; one is on the wire at a time.
    var outbox: [CCIDCommand] = []
    /// The OUT transfer on the wire (freed by libusb when it completes).
    var outTransfer: UnsafeMutablePointer<libusb_transfer>?
    var transfers: [UnsafeMutablePointer<libusb_transfer>] = []
    var buffers: [UnsafeMutableBufferPointer<UInt8>] = []
    /// Transfers submitted and not yet completed.
    var inFlight = 0
    /// Why it is closing, and whether to open it again; nil while it works.
    var ending: (reason: String, reopen: Bool)?
    /// Not released before this: a failed transfer is often an unplug whose hot-plug departure comes a moment
    /// later, and the event should say "unplugged", not "reader error".
    var releaseAt: ContinuousClock.Instant?
    unowned let hub: USBReaderHub

    init(
        spec: USBReaderSpec, device: OpaquePointer, handle: OpaquePointer, interface: CCIDInterface,
        format: UIDFormat, attempt: Int, firstSeq: UInt8, hub: USBReaderHub
    ) {
        self.spec = spec
        self.device = device
        self.handle = handle
        self.interface = interface
        self.format = format
        self.attempt = attempt
        self.hub = hub
        self.model = CCIDModel.forVendor(spec.vendorID)
        self.session = CCIDSession(
            slot: 0, replyTimeout: .seconds(1),
            maximumData: interface.descriptor.maxMessageLength - CCIDResponse.headerLength,
            pollInterval: interface.interruptIn == nil ? .milliseconds(200) : .seconds(1), firstSeq: firstSeq)
    }

    deinit { for buffer in buffers { buffer.deallocate() } }
}

/// Where a CCID reader's interface and endpoints are, and what its class descriptor says.
struct CCIDInterface {
    var number: Int32
    var bulkOut: UInt8
    var bulkIn: UInt8
    var bulkInPacket: Int
    var interruptIn: UInt8?
    var interruptPacket: Int
    var descriptor: CCIDClassDescriptor

    /// Why a device cannot be used as a CCID reader.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        /// The device has no active configuration yet (just enumerated: the kernel sets it after announcing the
        /// device); worth a retry, not a refusal.
        case notConfigured
        case noInterface
        case descriptor(CCIDClassDescriptor.Failure)
        case endpoints

        var description: String {
            switch self {
            case .notConfigured: "it has no active configuration yet"
            case .noInterface: "it has no CCID interface (class 0x0B)"
            case .descriptor(let failure): "its CCID class descriptor: \(failure)"
            case .endpoints: "its CCID interface lacks a bulk IN or bulk OUT endpoint"
            }
        }
    }

    /// The first class-0x0B interface of the device's active configuration. The class descriptor sits in the
    /// interface's extra bytes; some readers put it after the endpoints instead, where libusb files it under the
    /// last endpoint's extra bytes — both are looked at.
    static func find(_ device: OpaquePointer) -> Result<CCIDInterface, Refusal> {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(device, &config) == 0, let config else {
            return .failure(.notConfigured)
        }
        defer { libusb_free_config_descriptor(config) }
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let entry = config.pointee.interface[i]
            guard entry.num_altsetting > 0 else { continue }
            let alt = entry.altsetting[0]
            guard alt.bInterfaceClass == 0x0B else { continue }
            var extra = bytes(alt.extra, alt.extra_length)
            var found = CCIDInterface(
                number: Int32(alt.bInterfaceNumber), bulkOut: 0, bulkIn: 0, bulkInPacket: 64, interruptIn: nil,
                interruptPacket: 8, descriptor: CCIDClassDescriptor(maxSlotIndex: 0, features: 0, maxMessageLength: 0))
            for e in 0..<Int(alt.bNumEndpoints) {
                let endpoint = alt.endpoint[e]
                let input = endpoint.bEndpointAddress & 0x80 != 0
                switch (endpoint.bmAttributes & 0x03, input) {
                case (2, false): found.bulkOut = endpoint.bEndpointAddress
                case (2, true):
                    found.bulkIn = endpoint.bEndpointAddress
                    found.bulkInPacket = max(8, Int(endpoint.wMaxPacketSize))
                case (3, true):
                    found.interruptIn = endpoint.bEndpointAddress
                    found.interruptPacket = max(8, Int(endpoint.wMaxPacketSize))
                default: break
                }
                extra += bytes(endpoint.extra, endpoint.extra_length)
            }
            do {
                found.descriptor = try CCIDClassDescriptor(interfaceExtra: extra)
            } catch {
                return .failure(.descriptor(error))
            }
            guard found.bulkIn != 0, found.bulkOut != 0 else { return .failure(.endpoints) }
            return .success(found)
        }
        return .failure(.noInterface)
    }

    private static func bytes(_ pointer: UnsafePointer<UInt8>?, _ count: Int32) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
    }
}

/// What LabDoor knows of a CCID reader model beyond the standard: its feedback commands. One table entry per
/// maker, so that the commands that show a pattern and the one that silences the reader's own beep go together.
struct CCIDModel: Sendable {
    /// The command that shows a decision's pattern.
    let show: @Sendable (FeedbackPattern) -> [UInt8]
    /// The command that silences the reader's own beep at each card, sent once when the reader is opened.
    let silence: [UInt8]

    /// The model table: ACS (vendor 0x072f: ACR122U, ACR1252U, …) takes the LED/buzzer pseudo-APDU; other
    /// makers' readers show nothing (they work otherwise).
    static func forVendor(_ vendorID: UInt16) -> CCIDModel? {
        guard vendorID == 0x072F else { return nil }
        return CCIDModel(show: { ACSFeedback.apdu($0) }, silence: ACSFeedback.silenceCardBeep)
    }
}

extension USBReaderHub {
    /// Refusals of the CCID readers present now (for `labdoord` at start: a reader that only speaks TPDU or
    /// character level is a configuration error, exit 78, not a reader to retry). One message per refused device.
    public static func ccidRefusals(_ specs: [USBReaderSpec]) -> [String] {
        let ccid = specs.filter { if case .ccid = $0.family { true } else { false } }
        guard !ccid.isEmpty else { return [] }
        var context: OpaquePointer?
        guard libusb_init(&context) == 0, let context else { return [] }
        defer { libusb_exit(context) }
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        guard count > 0, let list else { return [] }
        defer { libusb_free_device_list(list, 1) }
        var refusals: [String] = []
        for i in 0..<count {
            guard let device = list[i] else { continue }
            var descriptor = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &descriptor) == 0 else { continue }
            let port = portPath(device)
            guard
                let spec = ccid.first(where: {
                    $0.vendorID == descriptor.idVendor && $0.productID == descriptor.idProduct
                        && ($0.port == nil || $0.port == port)
                })
            else { continue }
            if case .failure(let refusal) = CCIDInterface.find(device), refusal != .notConfigured {
                refusals.append("reader \"\(spec.name)\" (\(spec.id) on port \(port)) cannot be used: \(refusal)")
            }
        }
        return refusals
    }

    /// Opens a CCID reader (the device is open, its serial checked): interface, driver detach, claim, transfers.
    func attachCCID(
        _ device: OpaquePointer, handle: OpaquePointer, spec: USBReaderSpec, format: UIDFormat, attempt: Int,
        id: String, port: String
    ) {
        let interface: CCIDInterface
        switch CCIDInterface.find(device) {
        case .success(let found): interface = found
        case .failure(.notConfigured):
            libusb_close(handle)
            scheduleRetry(device, attempt: attempt, spec: spec, why: "\(id) on port \(port) is not configured yet")
            return
        case .failure(let refusal):
            libusb_close(handle)
            deliver(spec.name, .deviceRejected("device \(id) on port \(port) cannot be used: \(refusal)"))
            return
        }
        var detached = ""
        if libusb_kernel_driver_active(handle, interface.number) == 1 {
            let link = "/sys/bus/usb/devices/\(port):1.\(interface.number)/driver"
            let driver = (try? FileManager.default.destinationOfSymbolicLink(atPath: link)).map {
                URL(fileURLWithPath: $0).lastPathComponent
            }
            let rc = libusb_detach_kernel_driver(handle, interface.number)
            detached = rc == 0 ? "; kernel driver \(driver ?? "(unknown)") detached" : ""
        }
        let claim = libusb_claim_interface(handle, interface.number)
        guard claim == 0 else {
            libusb_close(handle)
            scheduleRetry(
                device, attempt: attempt, spec: spec,
                why: "cannot claim \(id) on port \(port): \(Self.errorName(claim))"
            )
            return
        }
        libusb_ref_device(device)
        let connection = CCIDConnection(
            spec: spec, device: device, handle: handle, interface: interface, format: format, attempt: attempt,
            firstSeq: ccidSequences[spec.name] ?? 0, hub: self)
        ccidConnections.append(connection)
        let me = Unmanaged.passUnretained(connection).toOpaque()
        // Replies: a whole number of packets at least as long as the longest message (a longer one overflows).
        let packets = (interface.descriptor.maxMessageLength + interface.bulkInPacket - 1) / interface.bulkInPacket
        var wanted: [(UInt8, Int, UInt8)] = [
            (interface.bulkIn, packets * interface.bulkInPacket, UInt8(LIBUSB_TRANSFER_TYPE_BULK.rawValue))
        ]
        if let notify = interface.interruptIn {
            wanted.append((notify, interface.interruptPacket, UInt8(LIBUSB_TRANSFER_TYPE_INTERRUPT.rawValue)))
        }
        for (endpoint, length, type) in wanted {
            guard let transfer = libusb_alloc_transfer(0) else {
                end(connection, "cannot allocate a transfer", reopen: true)
                return
            }
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: length)
            connection.transfers.append(transfer)
            connection.buffers.append(buffer)
            transfer.pointee.dev_handle = handle
            transfer.pointee.endpoint = endpoint
            transfer.pointee.type = type
            transfer.pointee.timeout = 0
            transfer.pointee.buffer = buffer.baseAddress
            transfer.pointee.length = Int32(length)
            transfer.pointee.callback = ccidInCallback
            transfer.pointee.user_data = me
            let rc = libusb_submit_transfer(transfer)
            guard rc == 0 else {
                end(connection, "cannot read \(id): \(Self.errorName(rc))", reopen: true)
                return
            }
            connection.inFlight += 1
        }
        let level = interface.descriptor.exchangeLevel == .extendedAPDU ? "short and extended" : "short"
        deliver(
            spec.name,
            .attached(
                "\(id) on port \(port)" + (spec.serial.map { " serial \($0)" } ?? "")
                    + ", CCID \(level) APDU level, \(interface.interruptIn == nil ? "polled" : "slot notifications")"
                    + (connection.model == nil ? ", no feedback table for this model" : "") + detached))
        let now = time(.now)
        carryOut(connection, connection.session.start(at: now))
        if let silence = connection.model?.silence {
            carryOut(connection, connection.session.escape(silence, at: now))
        }
    }

    /// The CCID readers' share of the event thread's round: time for the sessions, feedback to send, and the
    /// readers that finished closing released (and reopened later, after a fault).
    func processCCID(now: ContinuousClock.Instant) {
        let due = shared.withLock { state -> [(reader: String, pattern: FeedbackPattern)] in
            defer { state.ccidFeedback.removeAll() }
            return state.ccidFeedback
        }
        let instant = time(now)
        for connection in ccidConnections where connection.ending == nil {
            for item in due where item.reader == connection.spec.name {
                guard let apdu = connection.model?.show(item.pattern) else { continue }
                carryOut(connection, connection.session.escape(apdu, at: instant))
            }
            carryOut(connection, connection.session.tick(at: instant))
        }
        let done = { (c: CCIDConnection) in
            c.ending != nil && c.inFlight == 0 && (c.releaseAt.map { now >= $0 } ?? true)
        }
        for connection in ccidConnections where done(connection) { release(connection) }
        ccidConnections.removeAll(where: done)
    }

    /// Carries out what the session says.
    func carryOut(_ connection: CCIDConnection, _ outputs: [CCIDSession.Output]) {
        let name = connection.spec.name
        for output in outputs {
            switch output {
            case .send(let command):
                connection.outbox.append(command)
            case .read(let uid):
                deliver(name, .read(connection.format.badgeNumber(uid)))
            case .rejected(let why):
                deliver(name, .rejected(why))
            case .unreadable(let why):
                // Not a read: logged and counted like other input that is not a badge (fail secure).
                deliver(name, .rejected("card not read: \(why)"))
            case .ignored(let why):
                deliver(name, .notice("ignored a reply: \(why)"))
            case .escapeFailed(let why):
                deliver(name, .notice(why))
            case .readerError(let why):
                end(connection, "reader error: \(why)", reopen: true)
            }
        }
        if connection.session.hasAnswered { connection.attempt = 0 }
        sendNext(connection)
    }

    /// Puts the next command on the wire unless one is there already.
    private func sendNext(_ connection: CCIDConnection) {
        guard connection.ending == nil, connection.outTransfer == nil, !connection.outbox.isEmpty else { return }
        let message = connection.outbox.removeFirst().encoded
        guard let transfer = libusb_alloc_transfer(0) else {
            end(connection, "cannot allocate a transfer", reopen: true)
            return
        }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: message.count)
        buffer.initialize(from: message, count: message.count)
        transfer.pointee.dev_handle = connection.handle
        transfer.pointee.endpoint = connection.interface.bulkOut
        transfer.pointee.type = UInt8(LIBUSB_TRANSFER_TYPE_BULK.rawValue)
        transfer.pointee.timeout = 1000
        transfer.pointee.buffer = buffer
        transfer.pointee.length = Int32(message.count)
        transfer.pointee.flags = UInt8(LIBUSB_TRANSFER_FREE_BUFFER.rawValue | LIBUSB_TRANSFER_FREE_TRANSFER.rawValue)
        transfer.pointee.callback = ccidOutCallback
        transfer.pointee.user_data = Unmanaged.passUnretained(connection).toOpaque()
        let rc = libusb_submit_transfer(transfer)
        guard rc == 0 else {
            libusb_free_transfer(transfer)  // LIBUSB_TRANSFER_FREE_BUFFER frees the buffer with it
            end(
                connection, "cannot send to the reader: \(Self.errorName(rc))",
                reopen: rc != LIBUSB_ERROR_NO_DEVICE.rawValue)
            return
        }
        connection.outTransfer = transfer
        connection.inFlight += 1
    }

    /// The reader's device left: it closes as unplugged, whatever made it close first.
    func unplugged(_ connection: CCIDConnection) {
        end(connection, "unplugged", reopen: false)
        connection.ending = ("unplugged", false)
        connection.releaseAt = nil
    }

    /// A transfer failed: closes for `reason` (and reopens), unless the device turns out to have left.
    private func failed(_ connection: CCIDConnection, _ reason: String) {
        guard connection.ending == nil else { return }
        end(connection, reason, reopen: true)
        connection.releaseAt = .now + .milliseconds(500)
    }

    /// Begins closing: every pending transfer is cancelled; `processCCID` releases the reader when they are all
    /// back. The first reason given is the one reported.
    func end(_ connection: CCIDConnection, _ reason: String, reopen: Bool) {
        guard connection.ending == nil else { return }
        connection.ending = (reason, reopen && !isStopping)
        for transfer in connection.transfers { libusb_cancel_transfer(transfer) }
        if let transfer = connection.outTransfer { libusb_cancel_transfer(transfer) }
    }

    private func release(_ connection: CCIDConnection) {
        for transfer in connection.transfers { libusb_free_transfer(transfer) }
        connection.transfers.removeAll()
        libusb_release_interface(connection.handle, connection.interface.number)
        libusb_close(connection.handle)
        ccidSequences[connection.spec.name] = connection.session.nextSequence &+ 16
        let (reason, reopen) = connection.ending ?? ("stopped", false)
        if reopen {
            scheduleRetry(connection.device, attempt: connection.attempt, spec: connection.spec, why: reason)
        } else {
            deliver(connection.spec.name, .detached(reason))
        }
        libusb_unref_device(connection.device)
    }

    fileprivate func completedIn(_ connection: CCIDConnection, _ transfer: UnsafeMutablePointer<libusb_transfer>) {
        let status = transfer.pointee.status
        let notification = transfer.pointee.type == UInt8(LIBUSB_TRANSFER_TYPE_INTERRUPT.rawValue)
        if connection.ending == nil {
            switch status {
            case LIBUSB_TRANSFER_COMPLETED:
                let bytes = Array(
                    UnsafeBufferPointer(start: transfer.pointee.buffer, count: Int(transfer.pointee.actual_length)))
                let now = time(.now)
                if notification {
                    notified(connection, bytes, at: now)
                } else {
                    carryOut(connection, connection.session.received(bytes, at: now))
                }
            case LIBUSB_TRANSFER_TIMED_OUT:
                break
            case LIBUSB_TRANSFER_NO_DEVICE:
                end(connection, "unplugged", reopen: false)
            case LIBUSB_TRANSFER_OVERFLOW:
                end(
                    connection,
                    "reader error: a \(notification ? "notification" : "reply") longer than \(transfer.pointee.length) bytes",
                    reopen: true)
            case LIBUSB_TRANSFER_CANCELLED:
                end(connection, "cancelled", reopen: true)
            default:
                failed(connection, "reader error: a transfer failed (status \(status.rawValue))")
            }
        }
        if connection.ending == nil, libusb_submit_transfer(transfer) == 0 { return }
        connection.inFlight -= 1
        if connection.ending == nil { end(connection, "reader error: cannot read again", reopen: true) }
    }

    private func notified(_ connection: CCIDConnection, _ bytes: [UInt8], at now: MonotonicInstant) {
        let slots = Int(connection.interface.descriptor.maxSlotIndex) + 1
        let message: CCIDNotification
        do {
            message = try CCIDNotification(decoding: bytes, slots: slots)
        } catch {
            deliver(connection.spec.name, .notice("ignored a notification: \(error)"))
            return
        }
        switch message {
        case .slotChange(let changes):
            guard let first = changes.first else { return }
            carryOut(connection, connection.session.card(present: first.present, at: now))
        case .hardwareError(let slot, _, let code):
            deliver(
                connection.spec.name,
                .notice("the reader reports a hardware error 0x\(String(code, radix: 16)) in slot \(slot)"))
        }
    }

    fileprivate func completedOut(_ connection: CCIDConnection, _ transfer: UnsafeMutablePointer<libusb_transfer>) {
        let status = transfer.pointee.status
        connection.outTransfer = nil
        connection.inFlight -= 1
        switch status {
        case LIBUSB_TRANSFER_COMPLETED: sendNext(connection)
        case LIBUSB_TRANSFER_NO_DEVICE: end(connection, "unplugged", reopen: false)
        case LIBUSB_TRANSFER_CANCELLED: break
        default:
            failed(connection, "reader error: the reader did not take a command (status \(status.rawValue))")
        }
    }
}

private func ccidInCallback(_ transfer: UnsafeMutablePointer<libusb_transfer>?) {
    guard let transfer, let userData = transfer.pointee.user_data else { return }
    let connection = Unmanaged<CCIDConnection>.fromOpaque(userData).takeUnretainedValue()
    connection.hub.completedIn(connection, transfer)
}

private func ccidOutCallback(_ transfer: UnsafeMutablePointer<libusb_transfer>?) {
    guard let transfer, let userData = transfer.pointee.user_data else { return }
    let connection = Unmanaged<CCIDConnection>.fromOpaque(userData).takeUnretainedValue()
    connection.hub.completedOut(connection, transfer)
}
