public import Foundation

/// The stable reason code of a decision. The raw values are an interface (log, JSON, metrics): never rename one.
public enum ReasonCode: String, CaseIterable, Hashable, Sendable, Codable {
    /// Access granted.
    case granted
    /// No badge with this fingerprint is assigned.
    case unknownBadge = "unknown_badge"
    /// The badge was revoked.
    case badgeRevoked = "badge_revoked"
    /// The holder is suspended.
    case holderSuspended = "holder_suspended"
    /// The holder's profile needs a registration and there is none.
    case noRegistration = "no_registration"
    /// The holder's next registration has not started yet.
    case registrationNotStarted = "registration_not_started"
    /// The holder's registrations have all ended.
    case registrationExpired = "registration_expired"
    /// The Lab is closed at this time of the week.
    case outsideOpeningHours = "outside_opening_hours"
    /// The Lab is closed for a public holiday.
    case closedHoliday = "closed_holiday"
    /// The Lab is closed by a staff-added closure.
    case closedClosure = "closed_closure"
    /// The door is in lockdown and the profile has no override.
    case lockdown
    /// The clock is not synchronised and the profile depends on the time.
    case clockUntrusted = "clock_untrusted"
    /// The reader is locked out after repeated denied reads.
    case rateLimited = "rate_limited"

    /// Whether this code grants access.
    public var isGranted: Bool { self == .granted }
}

/// The outcome of presenting a badge: a reason code, a sentence for people, and the facts behind it.
public struct Decision: Hashable, Sendable, CustomStringConvertible {
    /// The stable reason code.
    public let reason: ReasonCode
    /// A sentence for the visitor and the log, e.g. "denied: outside opening hours — opens Monday 2027-01-04
    /// 07:00".
    public let explanation: String
    /// The holder, when the badge is known.
    public let holderID: HolderID?
    /// The profile applied, when the badge is known.
    public let profile: String?
    /// When the situation changes, if known: the next opening, a registration's start, the end of a lockout.
    public let retryAt: Date?

    /// Creates a decision.
    public init(
        reason: ReasonCode, explanation: String, holderID: HolderID? = nil, profile: String? = nil,
        retryAt: Date? = nil
    ) {
        self.reason = reason
        self.explanation = explanation
        self.holderID = holderID
        self.profile = profile
        self.retryAt = retryAt
    }

    /// Whether the door opens.
    public var isGranted: Bool { reason.isGranted }

    /// The explanation.
    public var description: String { explanation }
}

/// The door's operating mode, set by staff.
public enum DoorMode: Hashable, Sendable {
    /// Badges decide.
    case normal
    /// Nobody is granted except profiles with `lockdown_override`.
    case lockdown
    /// The door stays unlocked until the instant (then returns to normal); badges are still decided and logged.
    case holdOpen(until: Date)

    /// The mode in force at `now`: an expired hold-open is normal.
    public func effective(at now: Date) -> DoorMode {
        if case .holdOpen(let until) = self, now >= until { return .normal }
        return self
    }
}
