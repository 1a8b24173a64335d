/// An access profile: when its holders may enter and what they need. Profiles are configured in
/// `[profiles.NAME]`; `visitor`, `member` and `staff` exist by default.
public struct AccessProfile: Hashable, Sendable {
    /// When holders of the profile may enter.
    public enum Schedule: String, Hashable, Sendable, CaseIterable {
        /// Only while the Lab is open (weekly hours, holidays, closures).
        case openingHours = "opening-hours"
        /// At any time.
        case always
    }

    /// The profile's name, e.g. "visitor".
    public var name: String
    /// When its holders may enter.
    public var schedule: Schedule
    /// Whether a registration must cover the instant.
    public var requiresRegistration: Bool
    /// Whether its holders may enter during a lockdown.
    public var lockdownOverride: Bool

    /// Creates a profile.
    public init(name: String, schedule: Schedule, requiresRegistration: Bool, lockdownOverride: Bool) {
        self.name = name
        self.schedule = schedule
        self.requiresRegistration = requiresRegistration
        self.lockdownOverride = lockdownOverride
    }

    /// Whether the profile may be granted when the clock cannot be trusted: only one that depends on neither
    /// the time of day nor a registration window.
    public var isTimeIndependent: Bool { schedule == .always && !requiresRegistration }

    /// Registered visitors, during opening hours.
    public static let visitor = AccessProfile(
        name: "visitor", schedule: .openingHours, requiresRegistration: true, lockdownOverride: false)
    /// Registered members, during opening hours.
    public static let member = AccessProfile(
        name: "member", schedule: .openingHours, requiresRegistration: true, lockdownOverride: false)
    /// Lab staff: any time, no registration, and they may enter during a lockdown to deal with it.
    public static let staff = AccessProfile(
        name: "staff", schedule: .always, requiresRegistration: false, lockdownOverride: true)

    /// The profiles that exist when the configuration names none.
    public static let defaults: [String: AccessProfile] = [
        visitor.name: visitor, member.name: member, staff.name: staff,
    ]

    /// What a holder gets whose profile is no longer configured: a visitor's rights, the least any profile
    /// gives, so that removing a profile from the configuration never widens anyone's access.
    public static func fallback(for name: String) -> AccessProfile {
        AccessProfile(name: name, schedule: .openingHours, requiresRegistration: true, lockdownOverride: false)
    }
}
