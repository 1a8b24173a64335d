/// What a visitor sees and hears at the door after a badge read: one pattern per family of reasons, the same on
/// an NFC reader's LED and buzzer and on the door's own GPIO LEDs and buzzer, so that a sign by the door can say
/// what each means (`FeedbackPattern.sign`). A visitor should learn *why* the door stayed shut, not only that it
/// did.
public struct FeedbackPattern: Hashable, Sendable {
    /// Which LED.
    public enum Light: String, Sendable {
        /// The green LED.
        case green
        /// The red LED.
        case red
    }

    /// The LED that pulses.
    public var light: Light
    /// How many pulses.
    public var pulses: Int
    /// Each pulse's length.
    public var on: Duration
    /// The pause after each pulse.
    public var off: Duration
    /// Whether the buzzer sounds with each pulse.
    public var buzz: Bool

    /// A pattern.
    public init(light: Light, pulses: Int, on: Duration, off: Duration, buzz: Bool) {
        self.light = light
        self.pulses = pulses
        self.on = on
        self.off = off
        self.buzz = buzz
    }

    /// The families, in the order a sign lists them.
    public enum Family: CaseIterable, Sendable {
        /// Come in.
        case granted
        /// The badge is not known, revoked, or its holder suspended: see the staff.
        case seeStaff
        /// Known, but not registered for now.
        case notRegisteredNow
        /// The Lab is closed (hours, a holiday, a closure, a lockdown).
        case closed
        /// Try again later: too many attempts at this reader, or the door's clock is not trusted.
        case tryLater

        /// The family of a decision's reason.
        public init(_ reason: ReasonCode) {
            switch reason {
            case .granted: self = .granted
            case .unknownBadge, .badgeRevoked, .holderSuspended: self = .seeStaff
            case .noRegistration, .registrationNotStarted, .registrationExpired: self = .notRegisteredNow
            case .outsideOpeningHours, .closedHoliday, .closedClosure, .lockdown: self = .closed
            case .clockUntrusted, .rateLimited: self = .tryLater
            }
        }

        /// The pattern: green for a grant; red, one long or n short, for a denial.
        public var pattern: FeedbackPattern {
            switch self {
            case .granted: FeedbackPattern(light: .green, pulses: 1, on: .seconds(1), off: .zero, buzz: false)
            case .seeStaff: FeedbackPattern(light: .red, pulses: 1, on: .milliseconds(1500), off: .zero, buzz: true)
            case .notRegisteredNow:
                FeedbackPattern(light: .red, pulses: 2, on: .milliseconds(200), off: .milliseconds(200), buzz: true)
            case .closed:
                FeedbackPattern(light: .red, pulses: 3, on: .milliseconds(200), off: .milliseconds(200), buzz: true)
            case .tryLater:
                FeedbackPattern(light: .red, pulses: 4, on: .milliseconds(100), off: .milliseconds(100), buzz: true)
            }
        }

        /// What the sign by the door says for this family.
        public var meaning: String {
            switch self {
            case .granted: "green light: come in"
            case .seeStaff: "one long red light and beep: this badge is not known here — please see the staff"
            case .notRegisteredNow: "two short red: you are not registered for now — register, or check your dates"
            case .closed: "three short red: the Lab is closed now (opening hours, a holiday or a closure)"
            case .tryLater: "four quick red: wait a minute and try again; if it goes on, tell the staff"
            }
        }
    }

    /// The pattern for `reason`.
    public static func forReason(_ reason: ReasonCode) -> FeedbackPattern { Family(reason).pattern }

    /// The text of the sign by the door, one line per family.
    public static var sign: String {
        Family.allCases.map(\.meaning).joined(separator: "\n")
    }

    /// How long the whole pattern takes.
    public var duration: Duration { (on + off) * pulses }
}
