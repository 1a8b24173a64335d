public import Foundation
import GRDB
public import LabDoorCore

extension LabDoorStore {
    /// Commits `pending`, carries out `change` and logs it as one `admin_change` event, then signs a checkpoint
    /// — all in one transaction, so that a change is never without its record and never overtakes events that
    /// were waiting. The event describes the change without personal data (ids, profiles, dates — not names or
    /// e-mails).
    public func apply(
        _ change: RegistryChange, _ context: ChangeContext, after pending: [EventRecord] = []
    ) throws(StoreError) -> AppliedChange {
        let keys = try keysOrThrow()
        let change = try Self.validated(change)
        let fingerprint: BadgeFingerprint? =
            switch change {
            case .assignBadge(let badge, _), .revokeBadge(let badge): try self.fingerprint(of: badge)
            default: nil
            }
        return try wrap {
            try database.write { db in
                var logged = try pending.map { try Self.insert($0, db) }
                let (result, details) = try Self.perform(change, fingerprint: fingerprint, at: context.now, db)
                let event = try Self.insert(
                    EventRecord(
                        time: context.now, kind: .adminChange, actor: context.actor, details: details.description,
                        clockTrusted: context.clockTrusted), db)
                logged.append(event)
                try Self.writeCheckpoint(
                    seq: event.seq, hash: event.hash, kind: .config, now: context.now, keys: keys, db)
                return AppliedChange(result: result, logged: logged)
            }
        }
    }

    /// Checks what can be checked before a transaction starts; returns the change as it will be stored.
    static func validated(_ change: RegistryChange) throws(StoreError) -> RegistryChange {
        switch change {
        case .addHolder(let name, let profile, let organisation, let email):
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw .invalid("a holder needs a name") }
            try refuseControlCharacters([
                "name": trimmed, "profile": profile, "organisation": organisation, "email": email,
            ])
            return .addHolder(name: trimmed, profile: profile, organisation: organisation, email: email)
        case .addRegistration(_, let from, let until):
            guard from < until else { throw .invalid("a registration must start before it ends") }
        case .addOverride(let override):
            guard override.firstDay <= override.lastDay else {
                throw .invalid("the first day must not be after the last day")
            }
            switch override.kind {
            case .closed(let reason): try refuseControlCharacters(["reason": reason])
            case .hours(_, let note): try refuseControlCharacters(["note": note])
            }
        default:
            break
        }
        return change
    }

    /// Registry text must be printable: a NUL would be cut by SQLite's binding, an ESC would repaint a terminal.
    private static func refuseControlCharacters(_ fields: KeyValuePairs<String, String?>) throws(StoreError) {
        for (field, value) in fields {
            guard let value, TextEscaping.hasControlCharacters(value) else { continue }
            throw .invalid(
                "the \(field) contains a control character (\(TextEscaping.escaped(value))); type it without")
        }
    }

    /// Carries out a validated change inside a transaction; returns its result and the `admin_change` details.
    private static func perform(
        _ change: RegistryChange, fingerprint: BadgeFingerprint?, at now: Date, _ db: Database
    ) throws -> (ChangeResult, JSONValue) {
        switch change {
        case .addHolder(let name, let profile, let organisation, let email):
            try db.execute(
                sql: "INSERT INTO holder (name, profile, organisation, email, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, profile, organisation, email, UTCTimestamp.format(now)])
            let id = HolderID(rawValue: db.lastInsertedRowID)
            return (
                .holder(Holder(id: id, name: name, profile: profile, organisation: organisation, email: email)),
                action("holder_add", [("holder", .int(id.rawValue)), ("profile", .string(profile))])
            )
        case .setSuspended(let id, let suspended):
            try db.execute(
                sql: "UPDATE holder SET suspended = ? WHERE id = ?", arguments: [suspended ? 1 : 0, id.rawValue])
            guard db.changesCount == 1 else { throw StoreError.notFound("holder \(id)") }
            return (.done, action(suspended ? "holder_suspend" : "holder_resume", [("holder", .int(id.rawValue))]))
        case .removeHolder(let id):
            try db.execute(sql: "DELETE FROM holder WHERE id = ?", arguments: [id.rawValue])
            guard db.changesCount == 1 else { throw StoreError.notFound("holder \(id)") }
            return (.done, action("holder_remove", [("holder", .int(id.rawValue))]))
        case .assignBadge(let badge, let holder):
            return try assign(badge, fingerprint: fingerprint, to: holder, at: now, db)
        case .revokeBadge(let badge):
            let fingerprint = try required(fingerprint)
            try db.execute(
                sql: "UPDATE badge SET revoked = 1, revoked_at = ? WHERE fingerprint = ?",
                arguments: [UTCTimestamp.format(now), fingerprint.rawValue])
            guard db.changesCount == 1 else { throw StoreError.notFound("badge …\(badge.lastFour)") }
            return (.done, action("badge_revoke", [("badge", .string(fingerprint.rawValue))]))
        case .addRegistration(let holder, let from, let until):
            try requireHolder(holder, db)
            let fromText = UTCTimestamp.format(from)
            let untilText = UTCTimestamp.format(until)
            try db.execute(
                sql: "INSERT INTO registration (holder_id, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?)",
                arguments: [holder.rawValue, fromText, untilText, UTCTimestamp.format(now)])
            let id = db.lastInsertedRowID
            return (
                .registration(Registration(id: id, holderID: holder, from: from, until: until)),
                action(
                    "registration_add",
                    [
                        ("registration", .int(id)), ("holder", .int(holder.rawValue)), ("from", .string(fromText)),
                        ("until", .string(untilText)),
                    ])
            )
        case .removeRegistration(let id):
            try db.execute(sql: "DELETE FROM registration WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.notFound("registration \(id)") }
            return (.done, action("registration_remove", [("registration", .int(id))]))
        case .addOverride(let override):
            return try add(override, db)
        case .removeOverride(let id):
            try db.execute(sql: "DELETE FROM calendar_override WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.notFound("closure \(id)") }
            return (.done, action("closure_remove", [("override", .int(id))]))
        case .setDoorMode(let mode):
            let (name, until): (String, String?) =
                switch mode {
                case .normal: ("normal", nil)
                case .lockdown: ("lockdown", nil)
                case .holdOpen(let until): ("hold_open", UTCTimestamp.format(until))
                }
            try db.execute(
                sql: "UPDATE door_state SET mode = ?, hold_until = ? WHERE id = 1", arguments: [name, until])
            return (.done, action("door_mode", [("mode", .string(name)), ("until", .optional(until))]))
        }
    }

    private static func action(_ name: String, _ members: [(String, JSONValue)]) -> JSONValue {
        .object([("action", .string(name))] + members)
    }

    private static func required(_ fingerprint: BadgeFingerprint?) throws -> BadgeFingerprint {
        guard let fingerprint else { throw StoreError.invalid("a badge change needs the badge's fingerprint") }
        return fingerprint
    }

    private static func requireHolder(_ holder: HolderID, _ db: Database) throws {
        guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM holder WHERE id = ?", arguments: [holder.rawValue]) == 1
        else { throw StoreError.notFound("holder \(holder)") }
    }

    private static func assign(
        _ badge: BadgeID, fingerprint: BadgeFingerprint?, to holder: HolderID, at now: Date, _ db: Database
    ) throws -> (ChangeResult, JSONValue) {
        let fingerprint = try required(fingerprint)
        let lastFour = badge.lastFour
        if let owner = try Int64.fetchOne(
            db, sql: "SELECT holder_id FROM badge WHERE fingerprint = ?", arguments: [fingerprint.rawValue])
        {
            throw StoreError.conflict("badge …\(lastFour) is already assigned to holder \(owner); revoke it first")
        }
        try requireHolder(holder, db)
        try db.execute(
            sql: "INSERT INTO badge (fingerprint, last_four, holder_id, assigned_at) VALUES (?, ?, ?, ?)",
            arguments: [fingerprint.rawValue, lastFour, holder.rawValue, UTCTimestamp.format(now)])
        return (
            .badge(Badge(fingerprint: fingerprint, lastFour: lastFour, holderID: holder)),
            action(
                "badge_assign",
                [
                    ("badge", .string(fingerprint.rawValue)), ("last4", .string(lastFour)),
                    ("holder", .int(holder.rawValue)),
                ])
        )
    }

    private static func add(_ override: CalendarOverride, _ db: Database) throws -> (ChangeResult, JSONValue) {
        let (kind, hours, reason): (String, String, String) =
            switch override.kind {
            case .closed(let reason): ("closed", "", reason)
            case .hours(let intervals, let note): ("hours", intervals.map(\.description).joined(separator: " "), note)
            }
        try db.execute(
            sql: "INSERT INTO calendar_override (first_day, last_day, kind, hours, reason) VALUES (?, ?, ?, ?, ?)",
            arguments: [override.firstDay.description, override.lastDay.description, kind, hours, reason])
        var stored = override
        stored.id = db.lastInsertedRowID
        return (
            .override(stored),
            action(
                "closure_add",
                [
                    ("override", .int(db.lastInsertedRowID)), ("kind", .string(kind)),
                    ("first_day", .string(override.firstDay.description)),
                    ("last_day", .string(override.lastDay.description)),
                ])
        )
    }

    // MARK: Typed conveniences (tools and tests that own the database; the daemon goes through its event sink)

    /// Adds a holder (see `apply`).
    public func addHolder(
        name: String, profile: String, organisation: String? = nil, email: String? = nil, _ context: ChangeContext
    ) throws(StoreError) -> Holder {
        guard
            case .holder(let holder) = try apply(
                .addHolder(name: name, profile: profile, organisation: organisation, email: email), context
            ).result
        else { throw .invalid("adding a holder returned no holder") }
        return holder
    }

    /// Assigns a badge number to a holder (see `apply`).
    public func assignBadge(_ badge: BadgeID, to holder: HolderID, _ context: ChangeContext) throws(StoreError) -> Badge
    {
        guard case .badge(let assigned) = try apply(.assignBadge(badge, holder: holder), context).result else {
            throw .invalid("assigning a badge returned no badge")
        }
        return assigned
    }

    /// Adds a registration `[from, until)` (see `apply`).
    public func addRegistration(
        holder: HolderID, from: Date, until: Date, _ context: ChangeContext
    ) throws(StoreError) -> Registration {
        guard
            case .registration(let registration) = try apply(
                .addRegistration(holder: holder, from: from, until: until), context
            ).result
        else { throw .invalid("adding a registration returned no registration") }
        return registration
    }

    // MARK: Reads

    /// All holders, by id.
    public func holders() throws(StoreError) -> [Holder] {
        try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM holder ORDER BY id").map(Self.holder(from:))
            }
        }
    }

    /// One holder.
    public func holder(_ id: HolderID) throws(StoreError) -> Holder {
        let found = try wrap {
            try database.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM holder WHERE id = ?", arguments: [id.rawValue]).map(
                    Self.holder(from:))
            }
        }
        guard let found else { throw .notFound("holder \(id)") }
        return found
    }

    static func holder(from row: Row) throws(DamagedRow) -> Holder {
        let stored = StoredRow(row, in: "holder")
        return Holder(
            id: HolderID(rawValue: try stored.required("id")), name: try stored.required("name"),
            profile: try stored.required("profile"), organisation: try stored.optional("organisation"),
            email: try stored.optional("email"), suspended: try stored.required("suspended", as: Int64.self) == 1)
    }

    /// All badges.
    public func badges() throws(StoreError) -> [Badge] {
        try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM badge ORDER BY holder_id, assigned_at").map { row in
                    let stored = StoredRow(row, in: "badge")
                    return Badge(
                        fingerprint: BadgeFingerprint(rawValue: try stored.required("fingerprint")),
                        lastFour: try stored.required("last_four"),
                        holderID: HolderID(rawValue: try stored.required("holder_id")),
                        revoked: try stored.required("revoked", as: Int64.self) == 1)
                }
            }
        }
    }

    /// Registrations, of one holder or all.
    public func registrations(holder: HolderID? = nil) throws(StoreError) -> [Registration] {
        try wrap {
            try database.read { db in
                let rows =
                    if let holder {
                        try Row.fetchAll(
                            db, sql: "SELECT * FROM registration WHERE holder_id = ? ORDER BY valid_from",
                            arguments: [holder.rawValue])
                    } else {
                        try Row.fetchAll(db, sql: "SELECT * FROM registration ORDER BY valid_from")
                    }
                return try rows.map(Self.registration(from:))
            }
        }
    }

    static func registration(from row: Row) throws(DamagedRow) -> Registration {
        let stored = StoredRow(row, in: "registration")
        let from: String = try stored.required("valid_from")
        let until: String = try stored.required("valid_until")
        guard let start = UTCTimestamp.parse(from), let end = UTCTimestamp.parse(until) else {
            throw DamagedRow(description: "\(stored.label): valid_from or valid_until is not a UTC timestamp")
        }
        return Registration(
            id: try stored.required("id"), holderID: HolderID(rawValue: try stored.required("holder_id")), from: start,
            until: end)
    }

    /// All overrides, in the order added (the last that applies to a date wins).
    public func overrides() throws(StoreError) -> [CalendarOverride] {
        try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM calendar_override ORDER BY id").map {
                    row throws(DamagedRow) -> CalendarOverride in
                    let stored = StoredRow(row, in: "calendar_override")
                    guard let first = LocalDate(iso: try stored.required("first_day", as: String.self)),
                        let last = LocalDate(iso: try stored.required("last_day", as: String.self))
                    else { throw DamagedRow(description: "\(stored.label): first_day or last_day is not a date") }
                    let reason: String = try stored.required("reason")
                    let hours: String = try stored.required("hours")
                    let kind: CalendarOverride.Kind =
                        try stored.required("kind", as: String.self) == "closed"
                        ? .closed(reason: reason)
                        : .hours(
                            try hours.split(separator: " ").map { text throws(DamagedRow) in
                                guard let interval = OpeningInterval(parsing: text) else {
                                    throw DamagedRow(
                                        description: "\(stored.label): hours \"\(hours)\" are not intervals")
                                }
                                return interval
                            }, note: reason)
                    return CalendarOverride(id: try stored.required("id"), firstDay: first, lastDay: last, kind: kind)
                }
            }
        }
    }

    /// The stored door mode.
    public func doorMode() throws(StoreError) -> DoorMode {
        try wrap {
            try database.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT mode, hold_until FROM door_state WHERE id = 1") else {
                    return .normal
                }
                let stored = StoredRow(row, in: "door_state")
                switch try stored.required("mode", as: String.self) {
                case "lockdown": return .lockdown
                case "hold_open":
                    return try stored.optional("hold_until", as: String.self).flatMap(UTCTimestamp.parse).map {
                        .holdOpen(until: $0)
                    } ?? .normal
                default: return .normal
                }
            }
        }
    }

    /// What the store knows about a presented badge, read fresh (a revocation applies to the next read).
    public func credential(for fingerprint: BadgeFingerprint) throws(StoreError) -> Credential? {
        try wrap {
            try database.read { db in
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT * FROM badge WHERE fingerprint = ?", arguments: [fingerprint.rawValue])
                else { return nil }
                let badge = StoredRow(row, in: "badge")
                guard
                    let holderRow = try Row.fetchOne(
                        db, sql: "SELECT * FROM holder WHERE id = ?",
                        arguments: [try badge.required("holder_id", as: Int64.self)])
                else { return nil }
                let holder = try Self.holder(from: holderRow)
                let registrations = try Row.fetchAll(
                    db, sql: "SELECT * FROM registration WHERE holder_id = ?", arguments: [holder.id.rawValue]
                ).map(Self.registration(from:))
                return Credential(
                    badge: Badge(
                        fingerprint: fingerprint, lastFour: try badge.required("last_four"), holderID: holder.id,
                        revoked: try badge.required("revoked", as: Int64.self) == 1),
                    holder: holder, registrations: registrations)
            }
        }
    }
}
