// The registry commands: holders, badges and registrations. Times in results are ISO 8601 in the site's zone
// with the offset (`2027-01-04T07:00:00+02:00`); times in arguments are as typed on the command line.

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
    /// When added (site zone).
    public var createdAt: String?
    /// When removed (site zone); nil while active.
    public var removedAt: String?

    /// Creates the value.
    public init(
        id: Int64, name: String, profile: String, organisation: String?, email: String?, suspended: Bool,
        createdAt: String? = nil, removedAt: String? = nil
    ) {
        self.id = id
        self.name = name
        self.profile = profile
        self.organisation = organisation
        self.email = email
        self.suspended = suspended
        self.createdAt = createdAt
        self.removedAt = removedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, profile, organisation, email, suspended
        case createdAt = "created_at"
        case removedAt = "removed_at"
    }
}

/// A page of a listing: the items, and the `after` that asks for the next page (nil on the last page).
public struct Page<Item: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    /// The items, in id order.
    public var items: [Item]
    /// Pass this as `after` for the next page; nil when this is the last.
    public var nextAfter: Int64?

    /// Creates the value.
    public init(items: [Item], nextAfter: Int64?) {
        self.items = items
        self.nextAfter = nextAfter
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextAfter = "next_after"
    }
}

/// What every listing command accepts: a page size and where to start.
public protocol PagedCommand: ControlCommand {
    /// Start after this id (nil: from the first).
    var after: Int64? { get set }
    /// At most this many (default 100, at most 1000).
    var limit: Int64? { get set }
}

/// The default and largest page of a listing.
public enum Paging {
    /// Items per page unless `limit` says otherwise.
    public static let defaultLimit: Int64 = 100
    /// The most items one page holds.
    public static let maximumLimit: Int64 = 1000

    /// `limit` within 1…`maximumLimit`, or throws `bad_request`.
    public static func limit(_ limit: Int64?) throws(ControlError) -> Int {
        let value = limit ?? defaultLimit
        guard (1...maximumLimit).contains(value) else {
            throw ControlError(.badRequest, "limit must be 1 to \(maximumLimit), not \(value)")
        }
        return Int(value)
    }
}

/// `holder.list`: a page of holders, in id order, filtered.
public struct HolderListCommand: PagedCommand {
    /// The result.
    public typealias Result = Page<HolderInfo>
    /// The wire name.
    public static let name = "holder.list"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// Only this profile.
    public var profile: String?
    /// Only suspended (true) or only unsuspended (false) holders.
    public var suspended: Bool?
    /// Only holders whose name, e-mail or organisation contains this (case-insensitive).
    public var search: String?
    /// Include removed holders.
    public var removed: Bool?
    /// Start after this holder id.
    public var after: Int64?
    /// Page size.
    public var limit: Int64?

    /// The command.
    public init(
        profile: String? = nil, suspended: Bool? = nil, search: String? = nil, removed: Bool? = nil,
        after: Int64? = nil, limit: Int64? = nil
    ) {
        self.profile = profile
        self.suspended = suspended
        self.search = search
        self.removed = removed
        self.after = after
        self.limit = limit
    }
}

/// One holder and their last entry.
public struct HolderShown: Codable, Hashable, Sendable {
    /// The holder.
    public var holder: HolderInfo
    /// The last granted entry (site zone), if any.
    public var lastEntry: String?

    /// Creates the value.
    public init(holder: HolderInfo, lastEntry: String?) {
        self.holder = holder
        self.lastEntry = lastEntry
    }

    enum CodingKeys: String, CodingKey {
        case holder
        case lastEntry = "last_entry"
    }
}

/// `holder.show`: one holder (removed ones too) and their last entry; their badges and registrations are listed
/// with `badge.list` and `registration.list`.
public struct HolderShowCommand: ControlCommand {
    /// The result.
    public typealias Result = HolderShown
    /// The wire name.
    public static let name = "holder.show"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// The holder id.
    public var id: Int64

    /// The command.
    public init(id: Int64) { self.id = id }
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
    /// E-mail (unique among holders: imports match by it).
    public var email: String?

    /// The command.
    public init(name: String, profile: String, organisation: String? = nil, email: String? = nil) {
        self.name = name
        self.profile = profile
        self.organisation = organisation
        self.email = email
    }
}

/// `holder.edit`: change a holder's fields; absent fields stay, an empty organisation or e-mail clears it.
public struct HolderEditCommand: ControlCommand {
    /// The result.
    public typealias Result = HolderInfo
    /// The wire name.
    public static let name = "holder.edit"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The holder id.
    public var id: Int64
    /// The new name.
    public var name: String?
    /// The new profile.
    public var profile: String?
    /// The new organisation ("" clears it).
    public var organisation: String?
    /// The new e-mail ("" clears it).
    public var email: String?

    /// The command.
    public init(
        id: Int64, name: String? = nil, profile: String? = nil, organisation: String? = nil, email: String? = nil
    ) {
        self.id = id
        self.name = name
        self.profile = profile
        self.organisation = organisation
        self.email = email
    }
}

/// `holder.suspend`: the holder's badges stop opening (reads are logged as `holder_suspended`) until resumed.
public struct HolderSuspendCommand: ControlCommand {
    /// The result.
    public typealias Result = HolderInfo
    /// The wire name.
    public static let name = "holder.suspend"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The holder id.
    public var id: Int64

    /// The command.
    public init(id: Int64) { self.id = id }
}

/// `holder.resume`: end a suspension.
public struct HolderResumeCommand: ControlCommand {
    /// The result.
    public typealias Result = HolderInfo
    /// The wire name.
    public static let name = "holder.resume"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The holder id.
    public var id: Int64

    /// The command.
    public init(id: Int64) { self.id = id }
}

/// What a removal did.
public struct HolderRemoved: Codable, Hashable, Sendable {
    /// The holder id.
    public var id: Int64
    /// Whether the personal data was erased (not only marked removed).
    public var erased: Bool
    /// Badges revoked (remove) or deleted (erase).
    public var badges: Int64
    /// Registrations deleted (erase; a removal keeps them).
    public var registrations: Int64

    /// Creates the value.
    public init(id: Int64, erased: Bool, badges: Int64, registrations: Int64) {
        self.id = id
        self.erased = erased
        self.badges = badges
        self.registrations = registrations
    }
}

/// `holder.remove`: mark a holder removed and revoke their badges (their name still shows on their events); with
/// `erase`, delete their personal data — holder row, badges, registrations — leaving events by id only.
public struct HolderRemoveCommand: ControlCommand {
    /// The result.
    public typealias Result = HolderRemoved
    /// The wire name.
    public static let name = "holder.remove"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The holder id.
    public var id: Int64
    /// Erase the personal data (GDPR) instead of only marking the holder removed (absent: false).
    public var erase: Bool?

    /// The command.
    public init(id: Int64, erase: Bool? = nil) {
        self.id = id
        self.erase = erase
    }
}

/// A badge as the control protocol shows it: never its number.
public struct BadgeInfo: Codable, Hashable, Sendable {
    /// The badge id.
    public var id: Int64
    /// The holder.
    public var holder: Int64
    /// The last four characters of the number.
    public var last4: String
    /// The keyed fingerprint (how the log names the badge).
    public var fingerprint: String
    /// When assigned (site zone).
    public var assignedAt: String?
    /// Whether revoked.
    public var revoked: Bool
    /// When revoked (site zone).
    public var revokedAt: String?

    /// Creates the value.
    public init(
        id: Int64, holder: Int64, last4: String, fingerprint: String, assignedAt: String?, revoked: Bool,
        revokedAt: String?
    ) {
        self.id = id
        self.holder = holder
        self.last4 = last4
        self.fingerprint = fingerprint
        self.assignedAt = assignedAt
        self.revoked = revoked
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, holder, last4, fingerprint
        case assignedAt = "assigned_at"
        case revoked
        case revokedAt = "revoked_at"
    }
}

/// `badge.list`: a page of badges, in id order.
public struct BadgeListCommand: PagedCommand {
    /// The result.
    public typealias Result = Page<BadgeInfo>
    /// The wire name.
    public static let name = "badge.list"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// Only this holder's badges.
    public var holder: Int64?
    /// Start after this badge id.
    public var after: Int64?
    /// Page size.
    public var limit: Int64?

    /// The command.
    public init(holder: Int64? = nil, after: Int64? = nil, limit: Int64? = nil) {
        self.holder = holder
        self.after = after
        self.limit = limit
    }
}

/// `badge.assign`: assign a badge number to a holder (only its fingerprint and last four are stored). A badge in
/// use or ever revoked is refused.
public struct BadgeAssignCommand: ControlCommand {
    /// The result.
    public typealias Result = BadgeInfo
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

/// `badge.enrol`: the next read on `reader` becomes the holder's new badge instead of being decided (the door
/// stays locked; the read is logged as `badge_enrolled`). The answer comes with that read, or after `timeout`.
public struct BadgeEnrolCommand: ControlCommand {
    /// The result.
    public typealias Result = BadgeInfo
    /// The wire name.
    public static let name = "badge.enrol"
    /// Changes data.
    public static let role = ControlRole.admin
    /// The longest wait, in seconds.
    public static let maximumTimeout: Int64 = 300
    /// The wait unless `timeout` says otherwise.
    public static let defaultTimeout: Int64 = 30

    /// The configured reader's name.
    public var reader: String
    /// The holder id.
    public var holder: Int64
    /// How long to wait for the read, in seconds (default 30, at most 300).
    public var timeout: Int64?

    /// The command.
    public init(reader: String, holder: Int64, timeout: Int64? = nil) {
        self.reader = reader
        self.holder = holder
        self.timeout = timeout
    }
}

/// `badge.revoke`: the badge never opens again (its reads are logged as `badge_revoked`); by number or by id.
public struct BadgeRevokeCommand: ControlCommand {
    /// The result.
    public typealias Result = BadgeInfo
    /// The wire name.
    public static let name = "badge.revoke"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The badge number as typed.
    public var number: String?
    /// The badge id (`badge list`), for a card whose number is printed nowhere.
    public var id: Int64?

    /// The command: exactly one of `number` and `id`.
    public init(number: String? = nil, id: Int64? = nil) {
        self.number = number
        self.id = id
    }
}

/// A registration as the control protocol shows it.
public struct RegistrationInfo: Codable, Hashable, Sendable {
    /// The registration id.
    public var id: Int64
    /// The holder.
    public var holder: Int64
    /// The first instant covered (site zone).
    public var from: String
    /// The first instant no longer covered (site zone).
    public var until: String

    /// Creates the value.
    public init(id: Int64, holder: Int64, from: String, until: String) {
        self.id = id
        self.holder = holder
        self.from = from
        self.until = until
    }
}

/// `registration.list`: a page of registrations, in id order.
public struct RegistrationListCommand: PagedCommand {
    /// The result.
    public typealias Result = Page<RegistrationInfo>
    /// The wire name.
    public static let name = "registration.list"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// Only this holder's.
    public var holder: Int64?
    /// Only those covering this time, as typed.
    public var activeAt: String?
    /// Start after this registration id.
    public var after: Int64?
    /// Page size.
    public var limit: Int64?

    /// The command.
    public init(holder: Int64? = nil, activeAt: String? = nil, after: Int64? = nil, limit: Int64? = nil) {
        self.holder = holder
        self.activeAt = activeAt
        self.after = after
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey {
        case holder
        case activeAt = "active_at"
        case after, limit
    }
}

/// `registration.add`: register a holder for `[from, until)`; an `until` that is a date alone means the end of
/// that day.
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

/// `registration.remove`: delete a registration; the result is the registration removed.
public struct RegistrationRemoveCommand: ControlCommand {
    /// The result.
    public typealias Result = RegistrationInfo
    /// The wire name.
    public static let name = "registration.remove"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The registration id.
    public var id: Int64

    /// The command.
    public init(id: Int64) { self.id = id }
}

/// What an import did, or would do (`dry_run`).
public struct ImportResult: Codable, Hashable, Sendable {
    /// A holder created for an unknown e-mail.
    public struct NewHolder: Codable, Hashable, Sendable {
        /// The first line with the e-mail.
        public var line: Int64
        /// The holder id (nil in a dry run).
        public var id: Int64?
        /// The e-mail.
        public var email: String
        /// The name.
        public var name: String

        /// Creates the value.
        public init(line: Int64, id: Int64?, email: String, name: String) {
            self.line = line
            self.id = id
            self.email = email
            self.name = name
        }
    }

    /// A registration added although it overlaps another of the same holder.
    public struct Overlap: Codable, Hashable, Sendable {
        /// Its line.
        public var line: Int64
        /// The holder (nil for a new holder in a dry run).
        public var holder: Int64?
        /// The e-mail.
        public var email: String
        /// The existing registration it overlaps.
        public var registration: Int64?
        /// The earlier line it overlaps.
        public var otherLine: Int64?

        /// Creates the value.
        public init(line: Int64, holder: Int64?, email: String, registration: Int64?, otherLine: Int64?) {
            self.line = line
            self.holder = holder
            self.email = email
            self.registration = registration
            self.otherLine = otherLine
        }

        enum CodingKeys: String, CodingKey {
            case line, holder, email, registration
            case otherLine = "other_line"
        }
    }

    /// Whether nothing was changed.
    public var dryRun: Bool
    /// Rows in the file.
    public var rows: Int64
    /// Registrations added (or to be added).
    public var added: Int64
    /// Lines skipped as identical to an existing registration or an earlier line.
    public var duplicateLines: [Int64]
    /// Holders created (or to be created).
    public var newHolders: [NewHolder]
    /// Added registrations that overlap another of the same holder.
    public var overlaps: [Overlap]

    /// Creates the value.
    public init(
        dryRun: Bool, rows: Int64, added: Int64, duplicateLines: [Int64], newHolders: [NewHolder],
        overlaps: [Overlap]
    ) {
        self.dryRun = dryRun
        self.rows = rows
        self.added = added
        self.duplicateLines = duplicateLines
        self.newHolders = newHolders
        self.overlaps = overlaps
    }

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run"
        case rows, added
        case duplicateLines = "duplicate_lines"
        case newHolders = "new_holders"
        case overlaps
    }
}

/// `registration.import`: import a registration file (DESIGN.md, "Registration import (CSV)") all or nothing;
/// a file with bad lines is refused with every bad line named (`bad_request`). One `admin_change` with the
/// counts. The request may be up to `ControlProtocol.maximumAdminRequest` bytes.
public struct RegistrationImportCommand: ControlCommand {
    /// The result.
    public typealias Result = ImportResult
    /// The wire name.
    public static let name = "registration.import"
    /// Changes data (a dry run too: it shows staff's data to staff).
    public static let role = ControlRole.admin

    /// The file's text (UTF-8; a BOM, CRLF and RFC 4180 quoting are accepted).
    public var csv: String
    /// Only report what would be done (absent: false).
    public var dryRun: Bool?
    /// Extra columns to accept and ignore.
    public var ignoreColumns: [String]?

    /// The command.
    public init(csv: String, dryRun: Bool? = nil, ignoreColumns: [String]? = nil) {
        self.csv = csv
        self.dryRun = dryRun
        self.ignoreColumns = ignoreColumns
    }

    enum CodingKeys: String, CodingKey {
        case csv
        case dryRun = "dry_run"
        case ignoreColumns = "ignore_columns"
    }
}
