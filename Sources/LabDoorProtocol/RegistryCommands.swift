/// A holder as the control protocol shows it.
public struct HolderInfo: Codable, Hashable, Sendable {
    /// The holder id.
    public var id: Int64
    /// The name.
    public var name: String
    /// The access profile.
    public var profile: String
    /// Organisation.
    public var organisation: String?
    /// E-mail.
    public var email: String?
    /// Whether suspended.
    public var suspended: Bool

    /// Creates the value.
    public init(id: Int64, name: String, profile: String, organisation: String?, email: String?, suspended: Bool) {
        self.id = id
        self.name = name
        self.profile = profile
        self.organisation = organisation
        self.email = email
        self.suspended = suspended
    }
}

/// `holder.list`: every holder, by id.
public struct HolderListCommand: ControlCommand {
    /// The result.
    public typealias Result = [HolderInfo]
    /// The wire name.
    public static let name = "holder.list"
    /// Readers may ask.
    public static let role = ControlRole.audit
    /// The command.
    public init() {}
}

/// `holder.add`: add a holder; the result has its id.
public struct HolderAddCommand: ControlCommand {
    /// The result.
    public typealias Result = HolderInfo
    /// The wire name.
    public static let name = "holder.add"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The name.
    public var name: String
    /// The access profile (one the configuration defines).
    public var profile: String
    /// Organisation.
    public var organisation: String?
    /// E-mail.
    public var email: String?

    /// The command.
    public init(name: String, profile: String, organisation: String? = nil, email: String? = nil) {
        self.name = name
        self.profile = profile
        self.organisation = organisation
        self.email = email
    }
}

/// A badge as assigned: never its number.
public struct BadgeAssigned: Codable, Hashable, Sendable {
    /// The holder.
    public var holder: Int64
    /// The last four characters of the number.
    public var last4: String
    /// The keyed fingerprint.
    public var fingerprint: String

    /// Creates the value.
    public init(holder: Int64, last4: String, fingerprint: String) {
        self.holder = holder
        self.last4 = last4
        self.fingerprint = fingerprint
    }
}

/// `badge.assign`: assign a badge number to a holder (only its fingerprint and last four are stored).
public struct BadgeAssignCommand: ControlCommand {
    /// The result.
    public typealias Result = BadgeAssigned
    /// The wire name.
    public static let name = "badge.assign"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The badge number as typed.
    public var number: String
    /// The holder id.
    public var holder: Int64

    /// The command.
    public init(number: String, holder: Int64) {
        self.number = number
        self.holder = holder
    }
}

/// A revoked badge.
public struct BadgeRevoked: Codable, Hashable, Sendable {
    /// The last four characters of the number.
    public var revoked: String

    /// Creates the value.
    public init(revoked: String) { self.revoked = revoked }
}

/// `badge.revoke`: the badge never opens again (its reads are logged as `badge_revoked`).
public struct BadgeRevokeCommand: ControlCommand {
    /// The result.
    public typealias Result = BadgeRevoked
    /// The wire name.
    public static let name = "badge.revoke"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The badge number as typed.
    public var number: String

    /// The command.
    public init(number: String) { self.number = number }
}

/// A registration as the control protocol shows it (UTC times).
public struct RegistrationInfo: Codable, Hashable, Sendable {
    /// The registration id.
    public var id: Int64
    /// The holder.
    public var holder: Int64
    /// The first instant covered (UTC).
    public var from: String
    /// The first instant no longer covered (UTC).
    public var until: String

    /// Creates the value.
    public init(id: Int64, holder: Int64, from: String, until: String) {
        self.id = id
        self.holder = holder
        self.from = from
        self.until = until
    }
}

/// `registration.add`: register a holder for `[from, until)`.
public struct RegistrationAddCommand: ControlCommand {
    /// The result.
    public typealias Result = RegistrationInfo
    /// The wire name.
    public static let name = "registration.add"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The holder id.
    public var holder: Int64
    /// The start, as typed (site zone unless it has an offset); the daemon parses it.
    public var from: String
    /// The end (exclusive), as typed.
    public var until: String

    /// The command.
    public init(holder: Int64, from: String, until: String) {
        self.holder = holder
        self.from = from
        self.until = until
    }
}
