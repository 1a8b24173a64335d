public import Foundation
import GRDB
public import LabDoorCore

/// Who makes a change, and when: every change is logged with it.
public struct ChangeContext: Hashable, Sendable {
    /// The Unix user name of the caller.
    public var actor: String
    /// The wall-clock time of the change.
    public var now: Date
    /// Whether the wall clock was trusted.
    public var clockTrusted: Bool

    /// Creates a context.
    public init(actor: String, now: Date, clockTrusted: Bool) {
        self.actor = actor
        self.now = now
        self.clockTrusted = clockTrusted
    }
}

extension LabDoorStore {
    /// Runs a change and logs it as an `admin_change` event in the same transaction, then signs a checkpoint.
    /// `details` describes the change without personal data (ids, profiles, dates — not names or e-mails).
    func change<T>(
        _ context: ChangeContext, _ body: @escaping @Sendable (Database) throws -> (T, JSONValue)
    ) throws(StoreError)
        -> T where T: Sendable
    {
        let keys = try keysOrThrow()
        return try wrap {
            try queue.write { db in
                let (result, details) = try body(db)
                let logged = try Self.insert(
                    EventRecord(
                        time: context.now, kind: .adminChange, actor: context.actor, details: details.description,
                        clockTrusted: context.clockTrusted), db)
                try Self.writeCheckpoint(
                    seq: logged.seq, hash: logged.hash, kind: .config, now: context.now, keys: keys, db)
                return result
            }
        }
    }

    // MARK: Holders

    /// Adds a holder.
    public func addHolder(
        name: String, profile: String, organisation: String? = nil, email: String? = nil, _ context: ChangeContext
    ) throws(StoreError) -> Holder {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalid("a holder needs a name") }
        return try change(context) { db in
            try db.execute(
                sql: "INSERT INTO holder (name, profile, organisation, email, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [trimmed, profile, organisation, email, UTCTimestamp.format(context.now)])
            let id = HolderID(rawValue: db.lastInsertedRowID)
            let holder = Holder(id: id, name: trimmed, profile: profile, organisation: organisation, email: email)
            return (
                holder,
                .object([
                    ("action", .string("holder_add")), ("holder", .int(id.rawValue)), ("profile", .string(profile)),
                ])
            )
        }
    }

    /// All holders, by id.
    public func holders() throws(StoreError) -> [Holder] {
        try wrap {
            try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM holder ORDER BY id").map(Self.holder(from:))
            }
        }
    }

    /// One holder.
    public func holder(_ id: HolderID) throws(StoreError) -> Holder {
        let found = try wrap {
            try queue.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM holder WHERE id = ?", arguments: [id.rawValue]).map(
                    Self.holder(from:))
            }
        }
        guard let found else { throw .notFound("holder \(id)") }
        return found
    }

    static func holder(from row: Row) -> Holder {
        Holder(
            id: HolderID(rawValue: row["id"]), name: row["name"], profile: row["profile"],
            organisation: row["organisation"],
            email: row["email"], suspended: (row["suspended"] as Int64) == 1)
    }

    /// Suspends or resumes a holder.
    public func setSuspended(_ id: HolderID, _ suspended: Bool, _ context: ChangeContext) throws(StoreError) {
        try change(context) { db in
            try db.execute(
                sql: "UPDATE holder SET suspended = ? WHERE id = ?", arguments: [suspended ? 1 : 0, id.rawValue])
            guard db.changesCount == 1 else { throw StoreError.notFound("holder \(id)") }
            return (
                (),
                .object([
                    ("action", .string(suspended ? "holder_suspend" : "holder_resume")), ("holder", .int(id.rawValue)),
                ])
            )
        }
    }

    /// Removes a holder with their badges and registrations (their past events stay, by id).
    public func removeHolder(_ id: HolderID, _ context: ChangeContext) throws(StoreError) {
        try change(context) { db in
            try db.execute(sql: "DELETE FROM holder WHERE id = ?", arguments: [id.rawValue])
            guard db.changesCount == 1 else { throw StoreError.notFound("holder \(id)") }
            return ((), .object([("action", .string("holder_remove")), ("holder", .int(id.rawValue))]))
        }
    }

    // MARK: Badges

    /// Assigns a badge number to a holder; only its fingerprint and last four characters are stored.
    public func assignBadge(_ badge: BadgeID, to holder: HolderID, _ context: ChangeContext) throws(StoreError) -> Badge
    {
        let fingerprint = try fingerprint(of: badge)
        let lastFour = badge.lastFour
        return try change(context) { db in
            if let owner = try Int64.fetchOne(
                db, sql: "SELECT holder_id FROM badge WHERE fingerprint = ?", arguments: [fingerprint.rawValue])
            {
                throw StoreError.conflict("badge …\(lastFour) is already assigned to holder \(owner); revoke it first")
            }
            guard
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM holder WHERE id = ?", arguments: [holder.rawValue]) == 1
            else {
                throw StoreError.notFound("holder \(holder)")
            }
            try db.execute(
                sql: "INSERT INTO badge (fingerprint, last_four, holder_id, assigned_at) VALUES (?, ?, ?, ?)",
                arguments: [fingerprint.rawValue, lastFour, holder.rawValue, UTCTimestamp.format(context.now)])
            return (
                Badge(fingerprint: fingerprint, lastFour: lastFour, holderID: holder),
                .object([
                    ("action", .string("badge_assign")), ("badge", .string(fingerprint.rawValue)),
                    ("last4", .string(lastFour)),
                    ("holder", .int(holder.rawValue)),
                ])
            )
        }
    }

    /// Revokes a badge: it stays on record (so its reads are logged as `badge_revoked`) but never opens.
    public func revokeBadge(_ badge: BadgeID, _ context: ChangeContext) throws(StoreError) {
        let fingerprint = try fingerprint(of: badge)
        try change(context) { db in
            try db.execute(
                sql: "UPDATE badge SET revoked = 1, revoked_at = ? WHERE fingerprint = ?",
                arguments: [UTCTimestamp.format(context.now), fingerprint.rawValue])
            guard db.changesCount == 1 else { throw StoreError.notFound("badge …\(badge.lastFour)") }
            return ((), .object([("action", .string("badge_revoke")), ("badge", .string(fingerprint.rawValue))]))
        }
    }

    /// All badges.
    public func badges() throws(StoreError) -> [Badge] {
        try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM badge ORDER BY holder_id, assigned_at").map { row in
                    Badge(
                        fingerprint: BadgeFingerprint(rawValue: row["fingerprint"]), lastFour: row["last_four"],
                        holderID: HolderID(rawValue: row["holder_id"]), revoked: (row["revoked"] as Int64) == 1)
                }
            }
        }
    }

    // MARK: Registrations

    /// Adds a registration `[from, until)`.
    public func addRegistration(
        holder: HolderID, from: Date, until: Date, _ context: ChangeContext
    ) throws(StoreError)
        -> Registration
    {
        guard from < until else { throw .invalid("a registration must start before it ends") }
        return try change(context) { db in
            guard
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM holder WHERE id = ?", arguments: [holder.rawValue]) == 1
            else {
                throw StoreError.notFound("holder \(holder)")
            }
            let fromText = UTCTimestamp.format(from)
            let untilText = UTCTimestamp.format(until)
            try db.execute(
                sql: "INSERT INTO registration (holder_id, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?)",
                arguments: [holder.rawValue, fromText, untilText, UTCTimestamp.format(context.now)])
            let id = db.lastInsertedRowID
            return (
                Registration(id: id, holderID: holder, from: from, until: until),
                .object([
                    ("action", .string("registration_add")), ("registration", .int(id)),
                    ("holder", .int(holder.rawValue)),
                    ("from", .string(fromText)), ("until", .string(untilText)),
                ])
            )
        }
    }

    /// Registrations, of one holder or all.
    public func registrations(holder: HolderID? = nil) throws(StoreError) -> [Registration] {
        try wrap {
            try queue.read { db in
                let rows =
                    if let holder {
                        try Row.fetchAll(
                            db, sql: "SELECT * FROM registration WHERE holder_id = ? ORDER BY valid_from",
                            arguments: [holder.rawValue])
                    } else {
                        try Row.fetchAll(db, sql: "SELECT * FROM registration ORDER BY valid_from")
                    }
                return rows.map(Self.registration(from:))
            }
        }
    }

    static func registration(from row: Row) -> Registration {
        Registration(
            id: row["id"], holderID: HolderID(rawValue: row["holder_id"]),
            from: UTCTimestamp.parse(row["valid_from"]) ?? .distantFuture,
            until: UTCTimestamp.parse(row["valid_until"]) ?? .distantPast)
    }

    /// Removes a registration.
    public func removeRegistration(_ id: Int64, _ context: ChangeContext) throws(StoreError) {
        try change(context) { db in
            try db.execute(sql: "DELETE FROM registration WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.notFound("registration \(id)") }
            return ((), .object([("action", .string("registration_remove")), ("registration", .int(id))]))
        }
    }

    // MARK: Calendar overrides

    /// Adds a closure or special hours.
    public func addOverride(
        _ override: CalendarOverride, _ context: ChangeContext
    ) throws(StoreError) -> CalendarOverride {
        guard override.firstDay <= override.lastDay else {
            throw .invalid("the first day must not be after the last day")
        }
        return try change(context) { db in
            let (kind, hours, reason): (String, String, String) =
                switch override.kind {
                case .closed(let reason): ("closed", "", reason)
                case .hours(let intervals, let note):
                    ("hours", intervals.map(\.description).joined(separator: " "), note)
                }
            try db.execute(
                sql: "INSERT INTO calendar_override (first_day, last_day, kind, hours, reason) VALUES (?, ?, ?, ?, ?)",
                arguments: [override.firstDay.description, override.lastDay.description, kind, hours, reason])
            var stored = override
            stored.id = db.lastInsertedRowID
            return (
                stored,
                .object([
                    ("action", .string("closure_add")), ("override", .int(db.lastInsertedRowID)),
                    ("kind", .string(kind)),
                    ("first_day", .string(override.firstDay.description)),
                    ("last_day", .string(override.lastDay.description)),
                ])
            )
        }
    }

    /// All overrides, in the order added (the last that applies to a date wins).
    public func overrides() throws(StoreError) -> [CalendarOverride] {
        try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM calendar_override ORDER BY id").compactMap {
                    row -> CalendarOverride? in
                    guard let first = LocalDate(iso: row["first_day"] as String),
                        let last = LocalDate(iso: row["last_day"] as String)
                    else { return nil }
                    let reason: String = row["reason"]
                    let kind: CalendarOverride.Kind =
                        (row["kind"] as String) == "closed"
                        ? .closed(reason: reason)
                        : .hours(
                            (row["hours"] as String).split(separator: " ").compactMap(OpeningInterval.init(parsing:)),
                            note: reason)
                    return CalendarOverride(id: row["id"], firstDay: first, lastDay: last, kind: kind)
                }
            }
        }
    }

    /// Removes an override.
    public func removeOverride(_ id: Int64, _ context: ChangeContext) throws(StoreError) {
        try change(context) { db in
            try db.execute(sql: "DELETE FROM calendar_override WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.notFound("closure \(id)") }
            return ((), .object([("action", .string("closure_remove")), ("override", .int(id))]))
        }
    }

    // MARK: Door mode

    /// The stored door mode.
    public func doorMode() throws(StoreError) -> DoorMode {
        try wrap {
            try queue.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT mode, hold_until FROM door_state WHERE id = 1") else {
                    return .normal
                }
                switch row["mode"] as String {
                case "lockdown": return .lockdown
                case "hold_open":
                    return (row["hold_until"] as String?).flatMap(UTCTimestamp.parse).map { .holdOpen(until: $0) }
                        ?? .normal
                default: return .normal
                }
            }
        }
    }

    /// Sets the door mode.
    public func setDoorMode(_ mode: DoorMode, _ context: ChangeContext) throws(StoreError) {
        try change(context) { db in
            let (name, until): (String, String?) =
                switch mode {
                case .normal: ("normal", nil)
                case .lockdown: ("lockdown", nil)
                case .holdOpen(let until): ("hold_open", UTCTimestamp.format(until))
                }
            try db.execute(
                sql: "UPDATE door_state SET mode = ?, hold_until = ? WHERE id = 1", arguments: [name, until])
            return (
                (), .object([("action", .string("door_mode")), ("mode", .string(name)), ("until", .optional(until))])
            )
        }
    }

    // MARK: Decisions

    /// What the store knows about a presented badge, read fresh (a revocation applies to the next read).
    public func credential(for fingerprint: BadgeFingerprint) throws(StoreError) -> Credential? {
        try wrap {
            try queue.read { db in
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT * FROM badge WHERE fingerprint = ?", arguments: [fingerprint.rawValue]),
                    let holderRow = try Row.fetchOne(
                        db, sql: "SELECT * FROM holder WHERE id = ?", arguments: [row["holder_id"] as Int64])
                else { return nil }
                let holder = Self.holder(from: holderRow)
                let registrations = try Row.fetchAll(
                    db, sql: "SELECT * FROM registration WHERE holder_id = ?", arguments: [holder.id.rawValue]
                ).map(Self.registration(from:))
                return Credential(
                    badge: Badge(
                        fingerprint: fingerprint, lastFour: row["last_four"], holderID: holder.id,
                        revoked: (row["revoked"] as Int64) == 1),
                    holder: holder, registrations: registrations)
            }
        }
    }
}
