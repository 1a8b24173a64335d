import CLabDoorGPIO
import Dispatch
import Foundation
public import LabDoorCore

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

/// A GPIO error, naming the chip or line and what to check.
public struct GPIOError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    public let message: String
    /// An error with a message.
    public init(message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// The door over libgpiod: the relay (requested with its locked level from the first instant), optional LEDs
/// and buzzer, and the contact and exit inputs, whose debounced changes are delivered to `onInput`.
///
/// Thread safety: `setRelay`, `signal` and `close` may be called from any thread; line events are read on a
/// private serial queue via a Dispatch read source per input.
public final class GPIODoor: DoorActuator, @unchecked Sendable {
    static let consumer = "labdoord"

    private let wiring: GPIODoorWiring
    private let queue = DispatchQueue(label: "labdoord.gpio")
    private let chip: OpaquePointer
    private let relay: OpaquePointer
    private var outputs: [String: OpaquePointer] = [:]
    private var inputs: [(role: DoorInputRole, line: OpaquePointer, source: DispatchSourceRead)] = []
    private var stable: [DoorInputRole: Int32] = [:]
    private var pendingCheck: Set<DoorInputRole> = []
    private let onInput: @Sendable (DoorSensorInput) -> Void
    private var closed = false
    private let lock = NSLock()

    enum DoorInputRole: Hashable { case contact, exit }

    /// Opens the chip, takes the relay line driven locked, then the other lines.
    public init(wiring: GPIODoorWiring, onInput: @escaping @Sendable (DoorSensorInput) -> Void) throws(GPIOError) {
        self.wiring = wiring
        self.onInput = onInput
        chip = try Self.openChip(wiring.chip)
        do {
            relay = try Self.requestOutput(
                chip, wiring.relay, role: "relay_line", value: wiring.lockedLevel, chipSpec: wiring.chip)
            for (role, reference) in [
                ("green_led_line", wiring.greenLED), ("red_led_line", wiring.redLED), ("buzzer_line", wiring.buzzer),
            ] {
                guard let reference else { continue }
                outputs[role] = try Self.requestOutput(chip, reference, role: role, value: 0, chipSpec: wiring.chip)
            }
            for (role, reference) in [(DoorInputRole.contact, wiring.contact), (.exit, wiring.exit)] {
                guard let reference else { continue }
                let line = try Self.requestInput(
                    chip, reference, role: role == .contact ? "contact_line" : "exit_line", chipSpec: wiring.chip)
                stable[role] = labdoor_gpio_get_value(line)
                let source = DispatchSource.makeReadSource(fileDescriptor: labdoor_gpio_event_fd(line), queue: queue)
                source.setEventHandler { [weak self] in self?.drainEvents(role, line) }
                inputs.append((role, line, source))
            }
        } catch {
            Self.releaseAll(chip: chip, relay: nil, outputs: outputs.values, inputs: inputs.map(\.line))
            throw error
        }
        for input in inputs { input.source.resume() }
        // The contact's state at start: report it so the door logic knows.
        if let level = stable[.contact], wiring.contact != nil {
            let open = (level == 1) == wiring.contactOpenHigh
            if open { onInput(.contact(open: true)) }
        }
    }

    /// Drives the relay line. Throws when the kernel refuses; the caller alarms.
    public func setRelay(unlocked: Bool, cause: String, holder: HolderID?) throws {
        let level: Int32 = unlocked ? (wiring.relayActiveLow ? 0 : 1) : wiring.lockedLevel
        let result: Int32? = lock.withLock { closed ? nil : labdoor_gpio_set_value(relay, level) }
        guard let result else { throw GPIOError(message: "the GPIO door is closed") }
        guard result == 0 else {
            throw GPIOError(message: "cannot drive relay_line \(wiring.relay): \(String(cString: strerror(errno)))")
        }
    }

    /// Green LED for a grant, red LED and a short buzz for a denial, for one second.
    public func signal(_ decision: Decision) {
        let roles = decision.isGranted ? ["green_led_line"] : ["red_led_line", "buzzer_line"]
        setOutputs(roles, 1)
        queue.asyncAfter(deadline: .now() + .seconds(1)) { [weak self] in self?.setOutputs(roles, 0) }
    }

    private func setOutputs(_ roles: [String], _ level: Int32) {
        lock.withLock {
            guard !closed else { return }
            for role in roles { if let line = outputs[role] { _ = labdoor_gpio_set_value(line, level) } }
        }
    }

    /// Drives the relay locked and releases every line.
    public func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            _ = labdoor_gpio_set_value(relay, wiring.lockedLevel)
            for input in inputs { input.source.cancel() }
            Self.releaseAll(chip: chip, relay: relay, outputs: outputs.values, inputs: inputs.map(\.line))
        }
    }

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

    // MARK: Events and debounce

    private func drainEvents(_ role: DoorInputRole, _ line: OpaquePointer) {
        var rising: Int32 = 0
        var timestamp: UInt64 = 0
        // One readable notification may carry several events; read what is there, then settle after debounce.
        _ = labdoor_gpio_read_event(line, &rising, &timestamp)
        guard !pendingCheck.contains(role) else { return }
        pendingCheck.insert(role)
        let (seconds, attoseconds) = wiring.debounce.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        queue.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [weak self] in self?.settle(role) }
    }

    private func settle(_ role: DoorInputRole) {
        pendingCheck.remove(role)
        guard let line = inputs.first(where: { $0.role == role })?.line else { return }
        let closed = lock.withLock { self.closed }
        guard !closed else { return }
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
                        "no permission to open GPIO chip '\(spec)'; check the udev rule giving the labdoor group the gpiochip devices"
                )
            }
            throw GPIOError(
                message:
                    "no GPIO chip labelled or named '\(spec)': check [door] chip and the udev rule (chips here: \(found.isEmpty ? "none" : found))"
            )
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
                    "\(role) = \(reference) (offset \(offset) on '\(chipSpec)') is already used by '\(name.isEmpty ? "another consumer" : name)'; stop that user or pick another line"
            )
        }
        return GPIOError(
            message: "cannot request \(role) = \(reference) on '\(chipSpec)': \(String(cString: strerror(code)))")
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

    private static func releaseAll(
        chip: OpaquePointer, relay: OpaquePointer?, outputs: some Sequence<OpaquePointer>, inputs: [OpaquePointer]
    ) {
        if let relay { labdoor_gpio_release(relay) }
        for line in outputs { labdoor_gpio_release(line) }
        for line in inputs { labdoor_gpio_release(line) }
        labdoor_gpio_chip_close(chip)
    }
}
