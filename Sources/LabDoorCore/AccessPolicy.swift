public import Foundation

/// The access policy: profiles and the opening calendar. `decide` is a pure function of its arguments.
public struct AccessPolicy: Hashable, Sendable {
    /// The opening calendar (weekly hours, holidays, overrides, time zone).
    public var calendar: OpeningCalendar
    /// Profiles by name.
    public var profiles: [String: AccessProfile]

    /// Creates a policy.
    public init(calendar: OpeningCalendar, profiles: [String: AccessProfile] = AccessProfile.defaults) {
        self.calendar = calendar
        self.profiles = profiles
    }

    /// The profile called `name`, or the restrictive fallback when it is not configured.
    public func profile(named name: String) -> AccessProfile {
        profiles[name] ?? .fallback(for: name)
    }

    /// Decides whether a presented badge opens the door at `now`.
    ///
    /// - Parameters:
    ///   - credential: what the store knows about the badge; nil when the fingerprint is unknown.
    ///   - now: the instant of the read (wall clock, UTC).
    ///   - mode: the door mode; an expired hold-open counts as normal.
    ///   - clockTrusted: whether the wall clock is synchronised.
    ///
    /// Checks, in order (the first that fails is the reason): badge known, badge not revoked, holder not
    /// suspended, lockdown, clock trust, registration, schedule.
    public func decide(_ credential: Credential?, at now: Date, mode: DoorMode, clockTrusted: Bool) -> Decision {
        guard let credential else {
            return Decision(
                reason: .unknownBadge, explanation: "denied: unknown badge — ask the Lab staff to register it")
        }
        let holder = credential.holder
        let profile = profile(named: holder.profile)
        func deny(_ reason: ReasonCode, _ text: String, retryAt: Date? = nil) -> Decision {
            Decision(
                reason: reason, explanation: "denied: " + text, holderID: holder.id, profile: profile.name,
                retryAt: retryAt)
        }

        if credential.badge.revoked {
            return deny(.badgeRevoked, "badge revoked — ask the Lab staff for a new one")
        }
        if holder.suspended {
            return deny(.holderSuspended, "access suspended — contact the Lab staff")
        }
        if mode.effective(at: now) == .lockdown && !profile.lockdownOverride {
            return deny(.lockdown, "the Lab is in lockdown")
        }
        if !clockTrusted && !profile.isTimeIndependent {
            return deny(.clockUntrusted, "the door's clock is not synchronised — only staff can enter now")
        }
        if profile.requiresRegistration, let denial = registrationDenial(credential.registrations, at: now, deny) {
            return denial
        }
        if profile.schedule == .openingHours, case .closed(let why, let next) = calendar.status(at: now) {
            let opens = next.map { "opens \(calendar.zone.describe($0))" } ?? "no opening in the next year"
            let text =
                switch why {
                case .outsideOpeningHours: "outside opening hours — \(opens)"
                case .holiday(let holiday): "closed for \(holiday.name) — \(opens)"
                case .closure(let reason): "closed (\(reason)) — \(opens)"
                }
            return deny(why.reasonCode, text, retryAt: next)
        }
        return Decision(
            reason: .granted, explanation: "granted: holder \(holder.id) (\(profile.name))", holderID: holder.id,
            profile: profile.name)
    }

    private func registrationDenial(
        _ registrations: [Registration], at now: Date, _ deny: (ReasonCode, String, Date?) -> Decision
    ) -> Decision? {
        if registrations.contains(where: { $0.covers(now) }) { return nil }
        let zone = calendar.zone
        if let next = registrations.filter({ $0.from > now }).min(by: { $0.from < $1.from }) {
            return deny(.registrationNotStarted, "registration starts \(zone.describe(next.from))", next.from)
        }
        if let last = registrations.filter({ $0.until <= now }).max(by: { $0.until < $1.until }) {
            return deny(
                .registrationExpired, "registration ended \(zone.describe(last.until)) — ask the Lab staff to renew it",
                nil)
        }
        return deny(.noRegistration, "not registered for the Lab — register before visiting", nil)
    }
}

/// The decision step of the daemon: the policy plus each reader's brute-force lockout state.
///
/// Not thread-safe: one owner (the daemon's decision loop) calls `decide` for every read, in order.
public struct Decider: Sendable {
    /// The policy; replaced on configuration reload.
    public var policy: AccessPolicy
    /// The lockout rules applied to readers seen for the first time.
    public var lockoutRules: ReaderLockout
    private var lockouts: [String: ReaderLockout] = [:]

    /// A decider with no reader locked out.
    public init(policy: AccessPolicy, lockoutRules: ReaderLockout = ReaderLockout()) {
        self.policy = policy
        self.lockoutRules = lockoutRules
    }

    /// The result of one read.
    public struct Outcome: Hashable, Sendable {
        /// The decision.
        public let decision: Decision
        /// Set when this read locked the reader out, to the lockout's length.
        public let lockoutStarted: Duration?
    }

    /// Decides a read on `reader`, applying and updating its lockout.
    ///
    /// - Parameters:
    ///   - now: the wall-clock instant (for the policy).
    ///   - monotonic: the monotonic reading of the same moment (for the lockout).
    public mutating func decide(
        _ credential: Credential?, reader: String, now: Date, monotonic: MonotonicInstant, mode: DoorMode,
        clockTrusted: Bool
    ) -> Outcome {
        var lockout = lockouts[reader] ?? lockoutRules
        defer { lockouts[reader] = lockout }
        if let remaining = lockout.remainingLockout(at: monotonic) {
            let seconds = Self.wholeSeconds(remaining)
            return Outcome(
                decision: Decision(
                    reason: .rateLimited,
                    explanation:
                        "denied: reader \(reader) locked after repeated failed reads — try again in \(seconds) s",
                    retryAt: now.addingTimeInterval(TimeInterval(seconds))),
                lockoutStarted: nil)
        }
        let decision = policy.decide(credential, at: now, mode: mode, clockTrusted: clockTrusted)
        let started = decision.isGranted ? nil : lockout.recordDenial(at: monotonic)
        return Outcome(decision: decision, lockoutStarted: started)
    }

    /// Counts input a reader delivered that is not a badge read (garbage, typing at human speed) as a denied
    /// read, so that a fake keyboard cannot probe without being locked out. Returns the lockout it starts.
    public mutating func recordRejectedInput(reader: String, monotonic: MonotonicInstant) -> Duration? {
        var lockout = lockouts[reader] ?? lockoutRules
        defer { lockouts[reader] = lockout }
        return lockout.recordDenial(at: monotonic)
    }

    /// The remaining lockout of `reader` at `monotonic`, if any.
    public func remainingLockout(of reader: String, at monotonic: MonotonicInstant) -> Duration? {
        lockouts[reader]?.remainingLockout(at: monotonic)
    }

    static func wholeSeconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return attoseconds > 0 ? seconds + 1 : seconds
    }
}
