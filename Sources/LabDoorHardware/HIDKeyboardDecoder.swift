public import LabDoorCore

/// Turns USB HID boot-keyboard reports (8 bytes: modifiers, reserved, six key codes) from a keyboard-wedge badge
/// reader into badge reads.
///
/// - Characters: digits (main row and keypad) and `a–f` / `A–F` (with or without Shift) for hex readers.
/// - Terminators: Enter, keypad Enter, Tab.
/// - Only newly pressed keys count: key-up reports, repeated reports and keys still held from the previous
///   report (rollover) produce nothing.
/// - Any other key makes the read invalid (reported at its terminator).
/// - A pause longer than `interkeyTimeout` drops the partial input (reported): a reader types a whole number in
///   one burst, a person at a keyboard does not. Keys faster than `minimumKeyInterval` on average make the read
///   invalid (injection faster than any reader).
/// - More than `BadgeID.maximumLength` characters make the read invalid.
///
/// Not thread-safe; feed it from one thread. Times are monotonic.
public struct HIDKeyboardDecoder: Sendable {
    /// The longest pause between keys within one read.
    public var interkeyTimeout: Duration
    /// The shortest average interval between keys a real reader produces.
    public var minimumKeyInterval: Duration

    private var buffer: [Character] = []
    private var invalid: String?
    private var pressed: Set<UInt8> = []
    private var firstKeyAt: MonotonicInstant?
    private var lastKeyAt: MonotonicInstant?
    private var keys = 0

    /// A decoder with the given timing rules.
    public init(interkeyTimeout: Duration = .milliseconds(100), minimumKeyInterval: Duration = .microseconds(500)) {
        self.interkeyTimeout = interkeyTimeout
        self.minimumKeyInterval = minimumKeyInterval
    }

    /// Feeds one report received at `time`; returns the completed or rejected reads it produces.
    public mutating func feed(_ report: [UInt8], at time: MonotonicInstant) -> [ReaderInput] {
        if report.isEmpty { return [] }  // a zero-length packet: no report
        guard report.count >= 3 else {
            return [.rejected("a report of \(report.count) bytes is not a boot-keyboard report")]
        }
        let codes = Set(report.dropFirst(2).prefix(6).filter { $0 != 0 })
        // ErrorRollOver (1), POSTFail (2), ErrorUndefined (3): the keyboard's "too many keys" phantom state.
        if codes.contains(where: { $0 <= 3 }) { return [] }
        let shift = report[0] & 0x22 != 0
        let new = codes.subtracting(pressed).sorted()
        pressed = codes
        var out: [ReaderInput] = []
        for code in new {
            if let dropped = timeout(at: time) { out.append(dropped) }
            if lastKeyAt == nil { firstKeyAt = time }
            lastKeyAt = time
            keys += 1
            switch Self.key(code, shift: shift) {
            case .character(let c):
                if buffer.count >= BadgeID.maximumLength {
                    invalid = invalid ?? "more than \(BadgeID.maximumLength) characters"
                } else {
                    buffer.append(c)
                }
            case .terminator:
                out.append(finish(at: time))
            case .unknown:
                invalid = invalid ?? "key code 0x\(String(code, radix: 16)) is not a badge character"
            }
        }
        return out
    }

    /// Reports (and drops) partial input whose last key is older than the inter-key timeout; call periodically.
    public mutating func flush(at time: MonotonicInstant) -> ReaderInput? { timeout(at: time) }

    private mutating func timeout(at time: MonotonicInstant) -> ReaderInput? {
        guard let last = lastKeyAt, time - last > interkeyTimeout else { return nil }
        let count = buffer.count
        reset()
        guard count > 0 || invalid != nil else { return nil }
        return .rejected(
            "partial input of \(count) characters dropped after a pause of more than \(Self.milliseconds(interkeyTimeout)) ms (typed, not read?)"
        )
    }

    private mutating func finish(at time: MonotonicInstant) -> ReaderInput {
        defer { reset() }
        if let invalid { return .rejected(invalid) }
        guard !buffer.isEmpty else { return .rejected("a terminator without a number") }
        if let first = firstKeyAt, keys > 4, (time - first) / keys < minimumKeyInterval {
            return .rejected(
                "\(keys) keys in \(Self.milliseconds(time - first)) ms: faster than any reader (injected?)")
        }
        return .read(String(buffer))
    }

    private mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        invalid = nil
        firstKeyAt = nil
        lastKeyAt = nil
        keys = 0
    }

    enum Key: Equatable {
        case character(Character)
        case terminator
        case unknown
    }

    static func key(_ code: UInt8, shift: Bool) -> Key {
        switch code {
        case 0x1E...0x26: .character(Character(String(code - 0x1E + 1)))  // 1–9
        case 0x27: .character("0")
        case 0x04...0x09:  // a–f
            .character(Character(UnicodeScalar(UInt8(ascii: shift ? "A" : "a") + code - 0x04)))
        case 0x59...0x61: .character(Character(String(code - 0x59 + 1)))  // keypad 1–9
        case 0x62: .character("0")  // keypad 0
        case 0x28, 0x58, 0x2B: .terminator  // Enter, keypad Enter, Tab
        default: .unknown
        }
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        let (s, a) = d.components
        return s * 1000 + a / 1_000_000_000_000_000
    }
}
