import CLabDoorGPIO
import Dispatch
import Foundation
public import LabDoorCore
import Synchronization
public import SystemPackage

/// A GPIO line: by offset on its chip, or by name.
public enum GPIOLineReference: Hashable, Sendable, CustomStringConvertible {
    /// The offset on the chip.
    case offset(Int)
    /// The line name.
    case name(String)

    /// The offset, or the name in quotes.
    public var description: String {
        switch self {
        case .offset(let n): "\(n)"
        case .name(let s): "\"\(s)\""
        }
    }
}

/// The door's wiring, as `[door]` describes it.
public struct GPIODoorWiring: Hashable, Sendable {
    /// The chip: label, name ("gpiochip0") or /dev path — never a number, which can change between kernels.
    public var chip: String
    /// The relay line.
    public var relay: GPIOLineReference
    /// The relay is energised (unlocked) by a low level.
    public var relayActiveLow = false
    /// The door contact line.
    public var contact: GPIOLineReference?
    /// Whether a high level on the contact means "door open".
    public var contactOpenHigh = true
    /// The exit button line.
    public var exit: GPIOLineReference?
    /// Whether a high level means the button is pressed.
    public var exitActiveHigh = false
    /// Optional feedback outputs (active high).
    public var greenLED: GPIOLineReference?
    /// Optional feedback outputs (active high).
    public var redLED: GPIOLineReference?
    /// Optional feedback outputs (active high).
    public var buzzer: GPIOLineReference?
    /// Input debounce: a level must hold this long before it counts.
    public var debounce: Duration = .milliseconds(30)

    /// Wiring with a chip and a relay line.
    public init(chip: String, relay: GPIOLineReference) {
        self.chip = chip
        self.relay = relay
    }

    /// The physical level that keeps the door locked (the relay de-energised).
    public var lockedLevel: Int32 { relayActiveLow ? 1 : 0 }
}

/// A GPIO error, naming the chip or line and what to check, with the errno libgpiod left when a call failed.
public struct GPIOError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    public let message: String
    /// The error number of the failed call (nil for configuration mistakes found without a call).
    public let errno: Errno?

    /// An error with a message, and the errno of the call that failed, if one did.
    public init(message: String, errno code: Int32? = nil) {
        self.message = message
        self.errno = code.map { Errno(rawValue: $0) }
    }

    /// The message, with the system's word for the errno.
    public var description: String { message + (errno.map { " (\($0))" } ?? "") }
}

/// The door over libgpiod: the relay (requested with its locked level from the first instant), optional LEDs
/// and buzzer, and the contact and exit inputs, whose debounced changes are delivered to `onInput`.
///
/// Thread safety: `setRelay`, `signal` and `close` may be called from any thread; the output lines are used
/// under `outputs`' lock. Input events, debounce and the inputs' state live on the private serial `queue`; each
/// input line is released (its event fd closed) in its Dispatch source's cancel handler, on that queue, and the
/// chip is closed only after every input line has been released.
public final class GPIODoor: DoorActuator, @unchecked Sendable {
    static let consumer = "labdoord"

    /// The output lines (C pointers, used only inside the mutex: hence unchecked).
    private struct Outputs: @unchecked Sendable {
        var closed = false
        /// Counts signals: a pattern's later steps give way to the next decision's.
        var signals = 0
        var relay: OpaquePointer
        var lines: [String: OpaquePointer]
    }

    private let wiring: GPIODoorWiring
    private let queue = DispatchQueue(label: "labdoord.gpio")
    private let chip: OpaquePointer
    private let outputs: Mutex<Outputs>
    /// The input lines and their sources (fixed after `init`).
    private let inputs: [(role: DoorInputRole, line: OpaquePointer, source: any DispatchSourceRead)]
    /// On `queue` only: the last stable level of each input, debounce checks pending, lines already released.
    private var stable: [DoorInputRole: Int32] = [:]
    private var pendingCheck: Set<DoorInputRole> = []
    private var released: Set<DoorInputRole> = []
    private let onInput: @Sendable (DoorSensorInput) -> Void

    enum DoorInputRole: Hashable, Sendable { case contact, exit }

    /// Opens the chip, takes the relay line driven locked, then the other lines.
    public init(wiring: GPIODoorWiring, onInput: @escaping @Sendable (DoorSensorInput) -> Void) throws(GPIOError) {
        self.wiring = wiring
        self.onInput = onInput
        let chip = try Self.openChip(wiring.chip)
        self.chip = chip
        var relay: OpaquePointer?
        var lines: [String: OpaquePointer] = [:]
        var inputLines: [(role: DoorInputRole, line: OpaquePointer)] = []
        var levels: [DoorInputRole: Int32] = [:]
        do {
            relay = try Self.requestOutput(
                chip, wiring.relay, role: "relay_line", value: wiring.lockedLevel, chipSpec: wiring.chip)
            for (role, reference) in [
                ("green_led_line", wiring.greenLED), ("red_led_line", wiring.redLED), ("buzzer_line", wiring.buzzer),
            ] {
                guard let reference else { continue }
                lines[role] = try Self.requestOutput(chip, reference, role: role, value: 0, chipSpec: wiring.chip)
            }
            for (role, reference) in [(DoorInputRole.contact, wiring.contact), (.exit, wiring.exit)] {
                guard let reference else { continue }
                let line = try Self.requestInput(
                    chip, reference, role: role == .contact ? "contact_line" : "exit_line", chipSpec: wiring.chip)
                levels[role] = labdoor_gpio_get_value(line)
                inputLines.append((role, line))
            }
        } catch {
            if let relay { labdoor_gpio_release(relay) }
            for line in lines.values { labdoor_gpio_release(line) }
            for input in inputLines { labdoor_gpio_release(input.line) }
            labdoor_gpio_chip_close(chip)
            throw error
        }
        guard let relay else { throw GPIOError(message: "relay_line was not requested") }
        self.outputs = Mutex(Outputs(relay: relay, lines: lines))
        queue.setSpecific(key: Self.onQueue, value: true)
        // The read sources exist only once every line is ours: an error above has no source to dispose of (a
        // Dispatch source must never be released before it was resumed).
        let queue = queue
        self.inputs = inputLines.map { input in
            (
                input.role, input.line,
                DispatchSource.makeReadSource(fileDescriptor: labdoor_gpio_event_fd(input.line), queue: queue)
            )
        }
        self.stable = levels
        for input in self.inputs {
            let (role, line) = (input.role, input.line)
            input.source.setEventHandler { [weak self] in self?.drainEvents(role, line) }
            input.source.resume()
        }
        // The contact's state at start: report it so the door logic knows.
        if let level = levels[.contact], wiring.contact != nil, (level == 1) == wiring.contactOpenHigh {
            onInput(.contact(open: true))
        }
    }

    /// Drives the relay line. Throws when the kernel refuses; the caller alarms.
    public func setRelay(unlocked: Bool, cause: String, holder: HolderID?) throws {
        let level: Int32 = unlocked ? (wiring.relayActiveLow ? 0 : 1) : wiring.lockedLevel
        let (result, code) = outputs.withLock { outputs -> (Int32?, Int32) in
            guard !outputs.closed else { return (nil, 0) }
            let result = labdoor_gpio_set_value(outputs.relay, level)
            return (result, errno)
        }
        guard let result else {
            throw GPIOError(message: "the GPIO door was already closed (the daemon is stopping); relay_line not driven")
        }
        guard result == 0 else { throw GPIOError(message: "cannot drive relay_line \(wiring.relay)", errno: code) }
    }

    /// The decision's feedback pattern (`FeedbackPattern`): green for a grant; red with the buzzer, one long or
    /// two to four short, for a denial, so that the sign by the door says why. A new decision ends the previous
    /// pattern at once.
    public func signal(_ decision: Decision) {
        let pattern = FeedbackPattern.forReason(decision.reason)
        let roles =
            pattern.light == .green ? ["green_led_line"] : ["red_led_line"] + (pattern.buzz ? ["buzzer_line"] : [])
        let signal = outputs.withLock { outputs -> Int in
            outputs.signals += 1
            return outputs.signals
        }
        setOutputs(["green_led_line", "red_led_line", "buzzer_line"], 0, signal: signal)
        setOutputs(roles, 1, signal: signal)  // the first pulse at once
        let start = DispatchTime.now()
        for pulse in 0..<pattern.pulses {
            let begins = (pattern.on + pattern.off) * pulse
            if pulse > 0 {
                queue.asyncAfter(deadline: start + begins.timeInterval) { [weak self] in
                    self?.setOutputs(roles, 1, signal: signal)
                }
            }
            queue.asyncAfter(deadline: start + (begins + pattern.on).timeInterval) { [weak self] in
                self?.setOutputs(roles, 0, signal: signal)
            }
        }
    }

    /// Sets the lines of `roles` that are wired, unless the door is closed or a later signal has begun.
    private func setOutputs(_ roles: [String], _ level: Int32, signal: Int) {
        outputs.withLock { outputs in
            guard !outputs.closed, outputs.signals == signal else { return }
            for role in roles { if let line = outputs.lines[role] { _ = labdoor_gpio_set_value(line, level) } }
        }
    }

    /// Drives the relay locked and releases every line: the outputs at once, each input in its source's cancel
    /// handler (waited for, up to 2 s), then the chip. Safe to call more than once and from any thread (on `queue`
    /// itself it does not wait: the inputs are released right after it returns).
    public func close() {
        let first = outputs.withLock { outputs -> Bool in
            guard !outputs.closed else { return false }
            outputs.closed = true
            _ = labdoor_gpio_set_value(outputs.relay, wiring.lockedLevel)
            labdoor_gpio_release(outputs.relay)
            for line in outputs.lines.values { labdoor_gpio_release(line) }
            return true
        }
        guard first else { return }
        let group = DispatchGroup()
        for input in inputs {
            let (role, line) = (input.role, input.line)
            group.enter()
            // Dispatch runs the cancel handler after the last event handler, on `queue`: only then is the event
            // fd closed (by releasing the line), and the debounce check sees `released` first.
            input.source.setCancelHandler { [weak self] in
                self?.released.insert(role)
                labdoor_gpio_release(line)
                group.leave()
            }
            input.source.cancel()
        }
        let chip = chip
        if DispatchQueue.getSpecific(key: Self.onQueue) == true {
            // Called on the queue itself (a deinit there): the cancel handlers run after this returns.
            group.notify(queue: queue) { labdoor_gpio_chip_close(chip) }
        } else if group.wait(timeout: .now() + .seconds(2)) == .success {
            // Every line is free again when close returns: a new door (or another process) can take them at once.
            labdoor_gpio_chip_close(chip)
        } else {
            group.notify(queue: queue) { labdoor_gpio_chip_close(chip) }
        }
    }

    /// Marks `queue`, so that `close` knows when it runs on it.
    private static let onQueue = DispatchSpecificKey<Bool>()

    deinit { close() }

    /// `labdoord --safe-state`: takes the relay line with its locked level and releases it (after which the
    /// wiring's pull keeps the relay de-energised). Throws with a message naming what is wrong.
    public static func driveLocked(_ wiring: GPIODoorWiring) throws(GPIOError) {
        let chip = try openChip(wiring.chip)
        defer { labdoor_gpio_chip_close(chip) }
        let relay = try requestOutput(
            chip, wiring.relay, role: "relay_line", value: wiring.lockedLevel, chipSpec: wiring.chip)
        labdoor_gpio_release(relay)
    }

    // MARK: Events and debounce (on `queue`)

    private func drainEvents(_ role: DoorInputRole, _ line: OpaquePointer) {
        var rising: Int32 = 0
        var timestamp: UInt64 = 0
        // One edge event per notification (the source fires again while more are queued); the level is read
        // again after the debounce time, so only a level that held counts.
        _ = labdoor_gpio_read_event(line, &rising, &timestamp)
        guard !pendingCheck.contains(role) else { return }
        pendingCheck.insert(role)
        let delay = DispatchTimeInterval.nanoseconds(Int(wiring.debounce.timeInterval * 1e9))
        queue.asyncAfter(deadline: .now() + delay) { [weak self] in self?.settle(role) }
    }

    private func settle(_ role: DoorInputRole) {
        pendingCheck.remove(role)
        // `released` is written on this queue by the cancel handler, so a released line is never read.
        guard !released.contains(role), !outputs.withLock({ $0.closed }),
            let line = inputs.first(where: { $0.role == role })?.line
        else { return }
        let level = labdoor_gpio_get_value(line)
        guard level >= 0, level != stable[role] else { return }
        stable[role] = level
        switch role {
        case .contact:
            onInput(.contact(open: (level == 1) == wiring.contactOpenHigh))
        case .exit:
            if (level == 1) == wiring.exitActiveHigh { onInput(.exitButton) }
        }
    }

    // MARK: Opening and requesting

    private static func openChip(_ spec: String) throws(GPIOError) -> OpaquePointer {
        guard let chip = labdoor_gpio_chip_open(spec) else {
            let code = errno
            var list = [CChar](repeating: 0, count: 2048)
            labdoor_gpio_list_chips(&list, list.count)
            let found = Self.string(list)
            if code == EACCES {
                throw GPIOError(
                    message:
                        "no permission to open GPIO chip '\(spec)'; check the udev rule giving the labdoor group the gpiochip devices",
                    errno: code)
            }
            throw GPIOError(
                message:
                    "no GPIO chip labelled or named '\(spec)': check [door] chip and the udev rule (chips here: \(found.isEmpty ? "none" : found))",
                errno: code)
        }
        return chip
    }

    private static func offset(
        _ chip: OpaquePointer, _ reference: GPIOLineReference, role: String, chipSpec: String
    ) throws(GPIOError) -> UInt32 {
        switch reference {
        case .offset(let n):
            let count = labdoor_gpio_chip_num_lines(chip)
            guard n >= 0, UInt32(n) < count else {
                throw GPIOError(message: "\(role) = \(n): chip '\(chipSpec)' has lines 0–\(Int(count) - 1)")
            }
            return UInt32(n)
        case .name(let name):
            let found = labdoor_gpio_find_line(chip, name)
            guard found >= 0 else {
                throw GPIOError(
                    message: "\(role) = \"\(name)\": chip '\(chipSpec)' has no line of that name (see gpioinfo)")
            }
            return UInt32(found)
        }
    }

    private static func busy(
        _ chip: OpaquePointer, _ offset: UInt32, _ reference: GPIOLineReference, role: String, chipSpec: String
    ) -> GPIOError {
        let code = errno
        var consumer = [CChar](repeating: 0, count: 64)
        if labdoor_gpio_line_in_use(chip, offset, &consumer, consumer.count) == 1 {
            let name = Self.string(consumer)
            return GPIOError(
                message:
                    "\(role) = \(reference) (offset \(offset) on '\(chipSpec)') is already used by '\(name.isEmpty ? "another consumer" : name)'; stop that user or pick another line",
                errno: code)
        }
        return GPIOError(message: "cannot request \(role) = \(reference) on '\(chipSpec)'", errno: code)
    }

    private static func requestOutput(
        _ chip: OpaquePointer, _ reference: GPIOLineReference, role: String, value: Int32, chipSpec: String
    )
        throws(GPIOError) -> OpaquePointer
    {
        let offset = try offset(chip, reference, role: role, chipSpec: chipSpec)
        guard let line = labdoor_gpio_request_output(chip, offset, consumer, value) else {
            throw busy(chip, offset, reference, role: role, chipSpec: chipSpec)
        }
        return line
    }

    private static func requestInput(
        _ chip: OpaquePointer, _ reference: GPIOLineReference, role: String, chipSpec: String
    )
        throws(GPIOError) -> OpaquePointer
    {
        let offset = try offset(chip, reference, role: role, chipSpec: chipSpec)
        guard let line = labdoor_gpio_request_input(chip, offset, consumer) else {
            throw busy(chip, offset, reference, role: role, chipSpec: chipSpec)
        }
        return line
    }

    /// A NUL-terminated C buffer as a String.
    static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
