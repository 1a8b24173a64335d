public import LabDoorCore

/// The daemon's state: site, door, readers, log and clock.
public struct DaemonStatus: Codable, Hashable, Sendable {
    /// A reader's state.
    public struct Reader: Codable, Hashable, Sendable {
        /// Its configured name.
        public var name: String
        /// `usb`, `stdin` or `fifo`.
        public var backend: String
        /// `starting`, `attached` or `detached`.
        public var state: String
        /// Until when its reads are refused after too many denials (site zone), or nil.
        public var lockedOutUntil: String?

        /// Creates the value.
        public init(name: String, backend: String, state: String, lockedOutUntil: String? = nil) {
            self.name = name
            self.backend = backend
            self.state = state
            self.lockedOutUntil = lockedOutUntil
        }

        enum CodingKeys: String, CodingKey {
            case name, backend, state
            case lockedOutUntil = "locked_out_until"
        }
    }

    /// The log's state.
    public struct Log: Codable, Hashable, Sendable {
        /// The last committed seq.
        public var lastSeq: Int64
        /// Events waiting in memory for the disk.
        public var pending: Int64
        /// Whether writes are failing.
        public var degraded: Bool

        /// Creates the value.
        public init(lastSeq: Int64, pending: Int64, degraded: Bool) {
            self.lastSeq = lastSeq
            self.pending = pending
            self.degraded = degraded
        }

        enum CodingKeys: String, CodingKey {
            case lastSeq = "last_seq"
            case pending, degraded
        }
    }

    /// The clock's state.
    public struct Clock: Codable, Hashable, Sendable {
        /// Whether the wall clock is trusted for decisions.
        public var trusted: Bool
        /// Where trust comes from (`system`, `always`, `never`).
        public var source: String

        /// Creates the value.
        public init(trusted: Bool, source: String) {
            self.trusted = trusted
            self.source = source
        }
    }

    /// The site's name.
    public var site: String
    /// The site's IANA time zone.
    public var timeZone: String
    /// The door.
    public var door: DoorStatus
    /// The readers.
    public var readers: [Reader]
    /// The log.
    public var log: Log
    /// The clock.
    public var clock: Clock

    /// Creates the value.
    public init(site: String, timeZone: String, door: DoorStatus, readers: [Reader], log: Log, clock: Clock) {
        self.site = site
        self.timeZone = timeZone
        self.door = door
        self.readers = readers
        self.log = log
        self.clock = clock
    }

    enum CodingKeys: String, CodingKey {
        case site
        case timeZone = "time_zone"
        case door, readers, log, clock
    }
}

/// `status`: the door, readers, log and clock.
public struct StatusCommand: ControlCommand {
    /// The result.
    public typealias Result = DaemonStatus
    /// The wire name.
    public static let name = "status"
    /// Readers may ask.
    public static let role = ControlRole.audit
    /// The command.
    public init() {}
}

/// One line of the `events.follow` stream: a committed event, or a heartbeat that shows the stream is alive.
public enum FollowItem: Codable, Hashable, Sendable {
    /// An event in its documented JSON form (docs/cli.md).
    case event(JSONValue)
    /// Nothing new for a while.
    case heartbeat

    enum CodingKeys: String, CodingKey { case event, heartbeat }

    /// `{"event":{…}}` or `{"heartbeat":true}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .event(let event): try container.encode(event, forKey: .event)
        case .heartbeat: try container.encode(true, forKey: .heartbeat)
        }
    }

    /// Reads either form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let event = try container.decodeIfPresent(JSONValue.self, forKey: .event) {
            self = .event(event)
        } else if try container.decodeIfPresent(Bool.self, forKey: .heartbeat) == true {
            self = .heartbeat
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: container.codingPath, debugDescription: "neither an event nor a heartbeat"))
        }
    }
}

/// `events.follow`: streams committed events after `after` (default: from the newest), with heartbeats, until
/// the client goes away. The daemon answers with one response line per item.
public struct EventsFollowCommand: ControlCommand {
    /// The result.
    public typealias Result = FollowItem
    /// The wire name.
    public static let name = "events.follow"
    /// Readers may follow.
    public static let role = ControlRole.audit

    /// Start after this seq (nil: only events committed from now on, unless `since` says where).
    public var after: Int64?
    /// Start with the first event at or after this time, as typed (when `after` is absent).
    public var since: String?
    /// Only this holder's events.
    public var holder: Int64?
    /// Only badge decisions with this outcome (`granted`, `denied`).
    public var outcome: String?
    /// Only events with this reason code.
    public var reason: String?

    /// The command.
    public init(
        after: Int64? = nil, since: String? = nil, holder: Int64? = nil, outcome: String? = nil, reason: String? = nil
    ) {
        self.after = after
        self.since = since
        self.holder = holder
        self.outcome = outcome
        self.reason = reason
    }
}

/// `events.list`: a page of logged events, oldest first, filtered. Each event is its documented JSON (docs/cli.md)
/// with `holder_name` joined in: the holder's name, `erased #ID` for an erased holder, or null.
public struct EventsListCommand: PagedCommand {
    /// The result.
    public typealias Result = Page<JSONValue>
    /// The wire name.
    public static let name = "events.list"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// Only events at or after this time, as typed.
    public var since: String?
    /// Only events before this time, as typed.
    public var until: String?
    /// Only this holder's events.
    public var holder: Int64?
    /// Only badge decisions with this outcome (`granted`, `denied`).
    public var outcome: String?
    /// Only events with this reason code.
    public var reason: String?
    /// Start after this seq.
    public var after: Int64?
    /// Page size.
    public var limit: Int64?
    /// Without `after`: start where only the newest `tail` matching events remain (`events --limit N`).
    public var tail: Int64?

    /// The command.
    public init(
        since: String? = nil, until: String? = nil, holder: Int64? = nil, outcome: String? = nil,
        reason: String? = nil, after: Int64? = nil, limit: Int64? = nil, tail: Int64? = nil
    ) {
        self.since = since
        self.until = until
        self.holder = holder
        self.outcome = outcome
        self.reason = reason
        self.after = after
        self.limit = limit
        self.tail = tail
    }
}

/// What a purge did.
public struct PurgeResult: Codable, Hashable, Sendable {
    /// How many events were removed.
    public var removed: Int64
    /// The last removed event, named by the signed anchor (nil when nothing was old enough).
    public var anchorSeq: Int64?
    /// The cut-off (site zone).
    public var before: String
    /// Only counted: nothing was removed.
    public var dryRun: Bool

    /// Creates the value.
    public init(removed: Int64, anchorSeq: Int64?, before: String, dryRun: Bool = false) {
        self.removed = removed
        self.anchorSeq = anchorSeq
        self.before = before
        self.dryRun = dryRun
    }

    enum CodingKeys: String, CodingKey {
        case removed
        case anchorSeq = "anchor_seq"
        case before
        case dryRun = "dry_run"
    }
}

/// `audit.purge`: remove events older than `before`, leaving a signed anchor; logged with the caller as actor.
public struct AuditPurgeCommand: ControlCommand {
    /// The result.
    public typealias Result = PurgeResult
    /// The wire name.
    public static let name = "audit.purge"
    /// Removing log entries is a change.
    public static let role = ControlRole.admin

    /// The cut-off, as typed (a date or time in the site zone, or with an offset); the daemon parses it.
    public var before: String
    /// Only count what would be removed.
    public var dryRun: Bool?
    /// Purge even events younger than the configured retention (`[log] retention_days`).
    public var force: Bool?

    /// The command.
    public init(before: String, dryRun: Bool? = nil, force: Bool? = nil) {
        self.before = before
        self.dryRun = dryRun
        self.force = force
    }

    enum CodingKeys: String, CodingKey {
        case before
        case dryRun = "dry_run"
        case force
    }
}

/// Every command the protocol defines (docs/control.md lists each one; a test checks it).
public enum ControlCommands {
    /// The command types, in the order docs/control.md lists them.
    public static let all: [any ControlCommand.Type] = [
        StatusCommand.self, DoorStatusCommand.self, HolderListCommand.self, HolderShowCommand.self,
        HolderAddCommand.self, HolderEditCommand.self, HolderSuspendCommand.self, HolderResumeCommand.self,
        HolderRemoveCommand.self, BadgeListCommand.self, BadgeAssignCommand.self, BadgeEnrolCommand.self,
        BadgeRevokeCommand.self, RegistrationListCommand.self, RegistrationAddCommand.self,
        RegistrationRemoveCommand.self, RegistrationImportCommand.self, HoursShowCommand.self, HoursSetCommand.self,
        HoursResetCommand.self, ClosureAddCommand.self, SpecialHoursAddCommand.self, ClosureListCommand.self,
        ClosureRemoveCommand.self, HoursCalendarCommand.self, CheckCommand.self, DoorUnlockCommand.self,
        DoorLockCommand.self, DoorLockdownCommand.self, DoorHoldOpenCommand.self, DoorReleaseCommand.self,
        DoorSimulateCommand.self, EventsListCommand.self, EventsFollowCommand.self, AuditPurgeCommand.self,
        AuditPubkeyCommand.self, AuditCheckpointCommand.self, AuditCheckpointsCommand.self, AuditSnapshotCommand.self,
        ReportCommand.self,
    ]
}
