import CLibUSB
import Foundation
public import LabDoorCore
import Synchronization

/// Reads USB badge readers with libusb — HID keyboard wedges, and CCID contactless readers
/// (`USBReaderHub+CCID.swift`): hot-plug (arrivals and departures, also of readers present at start), kernel
/// driver detach, asynchronous transfers, boot-keyboard decoding or the CCID exchange, and reopening with back-off
/// when a device fails to open or misbehaves. Never throws after `start`: a reader problem is reported as a
/// `ReaderInput` and retried; the daemon never dies because of a reader.
///
/// Threading: every libusb call happens on one event thread, except `libusb_interrupt_event_handler` in `stop`.
/// The mutable state below `lock` is shared with callers of `show`/`stop`; the rest belongs to the event thread.
public final class USBReaderHub: ReaderPort, @unchecked Sendable {
    private let specs: [USBReaderSpec]
    /// Set once by `start`, before the event thread runs; read only by the event thread afterwards.
    var deliver: @Sendable (String, ReaderInput) -> Void = { _, _ in }
    /// State shared between callers (`show`, `stop`), libusb's hot-plug callback and the event thread.
    struct Shared: @unchecked Sendable {  // libusb device pointers, used only under the mutex
        var arrivals: [OpaquePointer] = []
        var departures: [OpaquePointer] = []
        var stopping = false
        var threadStarted = false
        var feedback: [(reader: String, leds: UInt8, at: ContinuousClock.Instant)] = []
        /// Decisions to show on CCID readers, in order.
        var ccidFeedback: [(reader: String, pattern: FeedbackPattern)] = []
    }

    let shared = Mutex(Shared())
    private var context: OpaquePointer?
    private var callbacks: [libusb_hotplug_callback_handle] = []
    private var retries: [(device: OpaquePointer, attempt: Int, at: ContinuousClock.Instant)] = []
    private var connections: [Connection] = []
    /// The opened CCID readers (and those closing).
    var ccidConnections: [CCIDConnection] = []
    /// Where each CCID reader's bSeq numbering goes on after a reopen.
    var ccidSequences: [String: UInt8] = [:]
    private let finished = DispatchSemaphore(value: 0)
    let origin = ContinuousClock.now

    /// One opened reader.
    final class Connection {
        let spec: USBReaderSpec
        let device: OpaquePointer
        let handle: OpaquePointer
        let interface: Int32
        var transfer: UnsafeMutablePointer<libusb_transfer>?
        var buffer: UnsafeMutablePointer<UInt8>
        let bufferSize: Int32
        var decoder: HIDKeyboardDecoder
        var active = true
        var ended: String?
        unowned let hub: USBReaderHub

        init(
            spec: USBReaderSpec, device: OpaquePointer, handle: OpaquePointer, interface: Int32, packetSize: Int32,
            hub: USBReaderHub
        ) {
            self.spec = spec
            self.device = device
            self.handle = handle
            self.interface = interface
            self.bufferSize = max(8, packetSize)
            self.buffer = .allocate(capacity: Int(max(8, packetSize)))
            self.decoder = HIDKeyboardDecoder(interkeyTimeout: spec.interkeyTimeout)
            self.hub = hub
        }

        deinit { buffer.deallocate() }
    }

    /// A hub for `specs`.
    public init(specs: [USBReaderSpec]) {
        self.specs = specs
    }

    /// The configured readers' names.
    public var readerNames: [String] { specs.map(\.name) }

    /// Initialises libusb, registers hot-plug callbacks (which also report readers already present) and starts
    /// the event thread; `deliver` receives every read, rejection and state change, on that thread. On failure
    /// everything it set up is released again, so `stop` has nothing to wait for.
    public func start(deliver: @escaping @Sendable (String, ReaderInput) -> Void) throws {
        self.deliver = deliver
        var ctx: OpaquePointer?
        let rc = libusb_init(&ctx)
        guard rc == 0, let ctx else { throw USBError("libusb_init", code: rc) }
        context = ctx
        do {
            try registerHotplug(ctx)
        } catch {
            for handle in callbacks { libusb_hotplug_deregister_callback(ctx, handle) }
            callbacks.removeAll()
            libusb_exit(ctx)
            context = nil
            throw error
        }
        let thread = Thread { [self] in eventLoop() }
        thread.name = "labdoord.usb"
        shared.withLock { $0.threadStarted = true }
        thread.start()
    }

    private func registerHotplug(_ ctx: OpaquePointer) throws(USBError) {
        guard libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 else {
            throw USBError("libusb_has_capability(HOTPLUG)", code: Int32(LIBUSB_ERROR_NOT_SUPPORTED.rawValue))
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        for (vid, pid) in Set(specs.map { "\($0.vendorID):\($0.productID)" }).compactMap({ key -> (Int32, Int32)? in
            let parts = key.split(separator: ":").compactMap { Int32($0) }
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }) {
            var handle: libusb_hotplug_callback_handle = 0
            let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
            let rc = libusb_hotplug_register_callback(
                ctx, events, Int32(LIBUSB_HOTPLUG_ENUMERATE.rawValue), vid, pid, LIBUSB_HOTPLUG_MATCH_ANY,
                usbHotplugCallback, me,
                &handle)
            guard rc == 0 else { throw USBError("libusb_hotplug_register_callback", code: rc) }
            callbacks.append(handle)
        }
    }

    /// Shows a decision on the reader: its keyboard LEDs (HID output report) — Num Lock for a grant, Caps Lock
    /// for a denial — cleared after a second. Readers that wire these LEDs to their own light or beeper show the
    /// result. Queued here, sent by the event thread; best effort.
    public func show(_ decision: Decision, on reader: String) {
        if let spec = specs.first(where: { $0.name == reader }), case .ccid = spec.family {
            let pattern = FeedbackPattern.forReason(decision.reason)
            shared.withLock { $0.ccidFeedback.append((reader, pattern)) }
            return
        }
        let now = ContinuousClock.now
        shared.withLock {
            $0.feedback.append((reader, decision.isGranted ? 0x01 : 0x02, now))
            $0.feedback.append((reader, 0x00, now + .seconds(1)))
        }
    }

    /// Stops the event thread (cancelling transfers, releasing devices); returns when done or after 3 s, at once
    /// when the hub never started.
    public func stop() {
        let started = shared.withLock { state -> Bool in
            state.stopping = true
            return state.threadStarted
        }
        guard started, let context else { return }
        libusb_interrupt_event_handler(context)
        _ = finished.wait(timeout: .now() + .seconds(3))
    }

    // MARK: Hot-plug (called by libusb, on the event thread or during registration)

    fileprivate func hotplug(_ device: OpaquePointer, arrived: Bool) {
        libusb_ref_device(device)
        shared.withLock {
            if arrived { $0.arrivals.append(device) } else { $0.departures.append(device) }
        }
    }

    // MARK: The event thread

    private func eventLoop() {
        guard let context else { return }
        var stopRequested = false
        while true {
            var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
            libusb_handle_events_timeout_completed(context, &timeout, nil)
            if isStopping && !stopRequested {
                stopRequested = true
                for connection in connections where connection.active {
                    _ = connection.transfer.map(libusb_cancel_transfer)
                }
                for connection in ccidConnections { end(connection, "stopped", reopen: false) }
            }
            processPending(now: ContinuousClock.now)
            if stopRequested && connections.allSatisfy({ !$0.active }) && ccidConnections.isEmpty { break }
        }
        for connection in connections { close(connection, reason: nil) }
        for handle in callbacks { libusb_hotplug_deregister_callback(context, handle) }
        for retry in retries { libusb_unref_device(retry.device) }
        libusb_exit(context)
        finished.signal()
    }

    var isStopping: Bool { shared.withLock { $0.stopping } }

    func time(_ instant: ContinuousClock.Instant) -> MonotonicInstant {
        MonotonicInstant(sinceOrigin: instant - origin)
    }

    private func processPending(now: ContinuousClock.Instant) {
        let (newArrivals, newDepartures) = shared.withLock { state -> ([OpaquePointer], [OpaquePointer]) in
            defer {
                state.arrivals.removeAll()
                state.departures.removeAll()
            }
            return (state.arrivals, state.departures)
        }
        for device in newDepartures {
            for connection in ccidConnections where connection.device == device { unplugged(connection) }
            if let connection = connections.first(where: { $0.device == device && $0.active }) {
                connection.ended = connection.ended ?? "unplugged"
                _ = connection.transfer.map(libusb_cancel_transfer)
            }
            retries.removeAll { entry in
                guard entry.device == device else { return false }
                libusb_unref_device(entry.device)
                return true
            }
            libusb_unref_device(device)
        }
        for device in newArrivals { attach(device, attempt: 0) }
        let due = retries.filter { $0.at <= now }
        retries.removeAll { $0.at <= now }
        for retry in due {
            attach(retry.device, attempt: retry.attempt)
            libusb_unref_device(retry.device)
        }
        for connection in connections where !connection.active && connection.transfer != nil {
            close(connection, reason: connection.ended ?? "stopped")
        }
        connections.removeAll { $0.transfer == nil && !$0.active }
        for connection in connections where connection.active {
            if let dropped = connection.decoder.flush(at: time(now)) { deliver(connection.spec.name, dropped) }
        }
        processCCID(now: now)
        let dueFeedback = shared.withLock { state -> [(reader: String, leds: UInt8, at: ContinuousClock.Instant)] in
            let due = state.feedback.filter { $0.at <= now }
            state.feedback.removeAll { $0.at <= now }
            return due
        }
        for item in dueFeedback {
            guard let connection = connections.first(where: { $0.spec.name == item.reader && $0.active }) else {
                continue
            }
            var leds = item.leds
            // SET_REPORT (class, interface), output report 0: the boot keyboard's LED byte.
            _ = libusb_control_transfer(
                connection.handle, 0x21, 0x09, 0x0200, UInt16(connection.interface), &leds, 1, 200)
        }
    }

    /// The port path of a device, e.g. "1-1.2".
    static func portPath(_ device: OpaquePointer) -> String {
        var ports = [UInt8](repeating: 0, count: 8)
        let count = libusb_get_port_numbers(device, &ports, Int32(ports.count))
        let bus = libusb_get_bus_number(device)
        guard count > 0 else { return "\(bus)" }
        return "\(bus)-" + ports.prefix(Int(count)).map(String.init).joined(separator: ".")
    }

    private func attach(_ device: OpaquePointer, attempt: Int) {
        var descriptor = libusb_device_descriptor()
        guard libusb_get_device_descriptor(device, &descriptor) == 0 else { return }
        let candidates = specs.filter { $0.vendorID == descriptor.idVendor && $0.productID == descriptor.idProduct }
        guard let first = candidates.first else { return }
        let port = Self.portPath(device)
        let id = String(format: "%04x:%04x", descriptor.idVendor, descriptor.idProduct)
        guard let spec = candidates.first(where: { $0.port == nil || $0.port == port }) else {
            deliver(
                first.name,
                .deviceRejected("device \(id) on port \(port) is not the configured port \(first.port ?? "")"))
            return
        }
        if connections.contains(where: { $0.spec.name == spec.name && $0.active })
            || ccidConnections.contains(where: { $0.spec.name == spec.name })
        {
            deliver(
                spec.name,
                .deviceRejected(
                    "a second device \(id) on port \(port) is ignored: reader \(spec.name) is already attached"))
            return
        }
        var handle: OpaquePointer?
        let rc = libusb_open(device, &handle)
        guard rc == 0, let handle else {
            scheduleRetry(
                device, attempt: attempt, spec: spec,
                why: rc == LIBUSB_ERROR_ACCESS.rawValue
                    ? "permission denied opening \(id) on port \(port): check the udev rule for the labdoor group"
                    : "cannot open \(id) on port \(port): \(Self.errorName(rc))")
            return
        }
        if let serial = spec.serial {
            var text = [UInt8](repeating: 0, count: 128)
            let n = libusb_get_string_descriptor_ascii(handle, descriptor.iSerialNumber, &text, Int32(text.count))
            let actual = n > 0 ? String(decoding: text.prefix(Int(n)), as: UTF8.self) : ""
            guard actual == serial else {
                libusb_close(handle)
                deliver(
                    spec.name,
                    .deviceRejected("device \(id) on port \(port) has serial \"\(actual)\", not \"\(serial)\""))
                return
            }
        }
        if case .ccid(let format) = spec.family {
            attachCCID(
                device, handle: handle, spec: spec, format: format, attempt: attempt, id: id, port: port)
            return
        }
        guard let (interface, endpoint, packetSize) = Self.keyboardEndpoint(device) else {
            libusb_close(handle)
            deliver(
                spec.name,
                .deviceRejected(
                    "device \(id) on port \(port) has no HID keyboard interface with an interrupt IN endpoint"))
            return
        }
        if libusb_kernel_driver_active(handle, interface) == 1 {
            // Detached for good: the console must never receive badge digits (the modprobe quirk keeps usbhid
            // away at boot; this covers a kernel that bound it anyway).
            _ = libusb_detach_kernel_driver(handle, interface)
        }
        let claim = libusb_claim_interface(handle, interface)
        guard claim == 0 else {
            libusb_close(handle)
            scheduleRetry(
                device, attempt: attempt, spec: spec,
                why: "cannot claim \(id) on port \(port): \(Self.errorName(claim))")
            return
        }
        // SET_PROTOCOL(boot): boot-keyboard reports whatever the reader defaulted to. Best effort.
        _ = libusb_control_transfer(handle, 0x21, 0x0B, 0, UInt16(interface), nil, 0, 500)
        libusb_ref_device(device)
        let connection = Connection(
            spec: spec, device: device, handle: handle, interface: interface, packetSize: packetSize, hub: self)
        guard let transfer = libusb_alloc_transfer(0) else {
            libusb_release_interface(handle, interface)
            libusb_close(handle)
            libusb_unref_device(device)
            return
        }
        connection.transfer = transfer
        transfer.pointee.dev_handle = handle
        transfer.pointee.endpoint = endpoint
        transfer.pointee.type = UInt8(LIBUSB_TRANSFER_TYPE_INTERRUPT.rawValue)
        transfer.pointee.timeout = 0
        transfer.pointee.buffer = connection.buffer
        transfer.pointee.length = connection.bufferSize
        transfer.pointee.callback = usbTransferCallback
        transfer.pointee.user_data = Unmanaged.passUnretained(connection).toOpaque()
        let submitted = libusb_submit_transfer(transfer)
        guard submitted == 0 else {
            libusb_free_transfer(transfer)
            connection.transfer = nil
            libusb_release_interface(handle, interface)
            libusb_close(handle)
            libusb_unref_device(device)
            scheduleRetry(device, attempt: attempt, spec: spec, why: "cannot read \(id): \(Self.errorName(submitted))")
            return
        }
        connections.append(connection)
        deliver(spec.name, .attached("\(id) on port \(port)" + (spec.serial.map { " serial \($0)" } ?? "")))
    }

    func scheduleRetry(_ device: OpaquePointer, attempt: Int, spec: USBReaderSpec, why: String) {
        let delay = min(30, 1 << min(attempt, 5))
        deliver(spec.name, .detached("\(why); retrying in \(delay) s"))
        libusb_ref_device(device)
        retries.append((device, attempt + 1, ContinuousClock.now + .seconds(delay)))
    }

    private func close(_ connection: Connection, reason: String?) {
        if let transfer = connection.transfer {
            libusb_free_transfer(transfer)
            connection.transfer = nil
        }
        libusb_release_interface(connection.handle, connection.interface)
        libusb_close(connection.handle)
        libusb_unref_device(connection.device)
        connection.active = false
        if let reason { deliver(connection.spec.name, .detached(reason)) }
    }

    fileprivate func completed(_ connection: Connection, _ transfer: UnsafeMutablePointer<libusb_transfer>) {
        let status = transfer.pointee.status
        if status == LIBUSB_TRANSFER_COMPLETED {
            let report = Array(
                UnsafeBufferPointer(start: transfer.pointee.buffer, count: Int(transfer.pointee.actual_length)))
            for output in connection.decoder.feed(report, at: time(.now)) { deliver(connection.spec.name, output) }
            if !isStopping, libusb_submit_transfer(transfer) == 0 { return }
        } else if status == LIBUSB_TRANSFER_TIMED_OUT, !isStopping,
            libusb_submit_transfer(transfer) == 0
        {
            return
        }
        connection.active = false
        if connection.ended == nil {
            connection.ended =
                switch status {
                case LIBUSB_TRANSFER_NO_DEVICE: "unplugged"
                case LIBUSB_TRANSFER_CANCELLED: isStopping ? "stopped" : "cancelled"
                default: "transfer failed (status \(status.rawValue))"
                }
        }
    }

    /// The first HID interface that is a boot keyboard (or any HID interface) with an interrupt IN endpoint.
    static func keyboardEndpoint(_ device: OpaquePointer) -> (Int32, UInt8, Int32)? {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(device, &config) == 0, let config else { return nil }
        defer { libusb_free_config_descriptor(config) }
        var fallback: (Int32, UInt8, Int32)?
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let interface = config.pointee.interface[i]
            guard interface.num_altsetting > 0 else { continue }
            let alt = interface.altsetting[0]
            guard alt.bInterfaceClass == 3 else { continue }
            for e in 0..<Int(alt.bNumEndpoints) {
                let endpoint = alt.endpoint[e]
                guard endpoint.bmAttributes & 0x03 == 0x03, endpoint.bEndpointAddress & 0x80 != 0 else { continue }
                let found = (Int32(alt.bInterfaceNumber), endpoint.bEndpointAddress, Int32(endpoint.wMaxPacketSize))
                if alt.bInterfaceSubClass == 1 && alt.bInterfaceProtocol == 1 { return found }
                fallback = fallback ?? found
            }
        }
        return fallback
    }

    static func errorName(_ code: Int32) -> String {
        libusb_error_name(code).map { String(cString: $0) } ?? "error \(code)"
    }
}

private func usbHotplugCallback(
    _ context: OpaquePointer?, _ device: OpaquePointer?, _ event: libusb_hotplug_event,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let device, let userData else { return 0 }
    let hub = Unmanaged<USBReaderHub>.fromOpaque(userData).takeUnretainedValue()
    hub.hotplug(device, arrived: event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
    return 0
}

private func usbTransferCallback(_ transfer: UnsafeMutablePointer<libusb_transfer>?) {
    guard let transfer, let userData = transfer.pointee.user_data else { return }
    let connection = Unmanaged<USBReaderHub.Connection>.fromOpaque(userData).takeUnretainedValue()
    connection.hub.completed(connection, transfer)
}
