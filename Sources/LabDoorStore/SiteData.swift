public import Foundation
import GRDB
public import LabDoorCore

extension LabDoorStore {
    /// Commits `pending`, carries out `change` and logs it as one `admin_change` event, then signs a checkpoint
    /// — all in one transaction, so that a change is never without its record and never overtakes events that
    /// were waiting. The event describes the change without personal data (ids, profiles, dates — not names or
    /// e-mails).
    ///
    /// An erasure then truncates the WAL, so that the erased rows survive neither in the database file (they are
    /// overwritten: `secure_delete`) nor in old WAL frames.
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
        let applied = try wrap {
            try database.write { db in
                var logged = try Self.insert(pending, db)
                let (result, details) = try Self.perform(change, fingerprint: fingerprint, context, db)
                try RegistrationImporter.bumpGeneration(db)
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
        if case .eraseHolder = change { try truncateWAL() }
        return applied
    }

    /// Copies the WAL into the database and truncates it, waiting (briefly) for readers that still see older
    /// frames; throws when they do not let go.
    func truncateWAL() throws(StoreError) {
        for attempt in 0..<50 {
            let busy = try wrap {
                try database.writeWithoutTransaction { db in
                    try Int.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") ?? 1
                }
            }
            if busy == 0 { return }
            if attempt < 49 { usleep(100_000) }
        }
        throw .io(
            path: path + "-wal",
            message:
                "the erased data is deleted, but readers kept the WAL from being truncated for 5 s; it is at the next checkpoint",
            code: nil)
    }

    /// Checks what can be checked before a transaction starts; returns the change as it will be stored.
    static func validated(_ change: RegistryChange) throws(StoreError) -> RegistryChange {
        switch change {
        case .addHolder(let name, let profile, let organisation, let email):
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw .invalid("a holder needs a name") }
            let email = email.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            let organisation = organisation.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap {
                $0.isEmpty ? nil : $0
            }
            try refuseControlCharacters([
                "name": trimmed, "profile": profile, "organisation": organisation, "email": email,
            ])
            if let email, let problem = RegistrationCSV.emailProblem(email) { throw .invalid(problem) }
            return .addHolder(name: trimmed, profile: profile, organisation: organisation, email: email)
        case .editHolder(let id, var edit):
            guard !edit.isEmpty else {
                throw .invalid("nothing to change; pass --name, --profile, --org or --email")
            }
            if let name = edit.name {
                edit.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
                guard edit.name?.isEmpty == false else { throw .invalid("a holder needs a name") }
            }
            edit.email = edit.email?.trimmingCharacters(in: .whitespaces)
            edit.organisation = edit.organisation?.trimmingCharacters(in: .whitespaces)
            try refuseControlCharacters([
                "name": edit.name, "profile": edit.profile, "organisation": edit.organisation, "email": edit.email,
            ])
            if let email = edit.email, !email.isEmpty, let problem = RegistrationCSV.emailProblem(email) {
                throw .invalid(problem)
            }
            return .editHolder(id, edit)
        case .addRegistration(_, let from, let until):
            guard from < until else { throw .invalid("a registration must start before it ends") }
        case .importRegistrations(let plan):
            guard !plan.rows.isEmpty else { throw .invalid("the file has a header but no registrations") }
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
        _ change: RegistryChange, fingerprint: BadgeFingerprint?, _ context: ChangeContext, _ db: Database
    ) throws -> (ChangeResult, JSONValue) {
        let now = context.now
        let stamp = UTCTimestamp.format(now)
        switch change {
        case .addHolder(let name, let profile, let organisation, let email):
            try requireUniqueEmail(email, except: nil, db)
            try db.execute(
                sql: """
                    INSERT INTO holder (name, profile, organisation, email, email_key, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [name, profile, organisation, email, email?.lowercased(), stamp])
            let id = HolderID(rawValue: db.lastInsertedRowID)
            return (
                .holder(try requireHolder(id, db)),
                action("holder_add", [("holder", .int(id.rawValue)), ("profile", .string(profile))])
            )
        case .editHolder(let id, let edit):
            return try self.edit(id, edit, db)
        case .setSuspended(let id, let suspended):
            let holder = try requireActiveHolder(id, db)
            guard holder.suspended != suspended else {
                throw StoreError.conflict("holder \(id) is already \(suspended ? "suspended" : "active")")
            }
            try db.execute(
                sql: "UPDATE holder SET suspended = ? WHERE id = ?", arguments: [suspended ? 1 : 0, id.rawValue])
            return (
                .holder(try requireHolder(id, db)),
                action(suspended ? "holder_suspend" : "holder_resume", [("holder", .int(id.rawValue))])
            )
        case .removeHolder(let id):
            _ = try requireActiveHolder(id, db)
            try db.execute(sql: "UPDATE holder SET removed_at = ? WHERE id = ?", arguments: [stamp, id.rawValue])
            try db.execute(
                sql: "UPDATE badge SET revoked = 1, revoked_at = ? WHERE holder_id = ? AND revoked = 0",
                arguments: [stamp, id.rawValue])
            let revoked = db.changesCount
            return (
                .removal(HolderRemoval(holder: id, erased: false, badges: revoked, registrations: 0)),
                action("holder_remove", [("holder", .int(id.rawValue)), ("badges_revoked", .int(Int64(revoked)))])
            )
        case .eraseHolder(let id):
            _ = try requireHolder(id, db)
            let badges =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM badge WHERE holder_id = ?", arguments: [id.rawValue])
                ?? 0
            let registrations =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM registration WHERE holder_id = ?", arguments: [id.rawValue]) ?? 0
            // The foreign keys cascade to the badges and registrations; secure_delete overwrites all of it.
            try db.execute(sql: "DELETE FROM holder WHERE id = ?", arguments: [id.rawValue])
            return (
                .removal(HolderRemoval(holder: id, erased: true, badges: badges, registrations: registrations)),
                action("holder_erase", [("holder", .int(id.rawValue))])
            )
        case .assignBadge(let badge, let holder):
            return try assign(badge, fingerprint: try required(fingerprint), to: holder, at: now, db)
        case .revokeBadge(let badge):
            let fingerprint = try required(fingerprint)
            guard
                let id = try Int64.fetchOne(
                    db, sql: "SELECT id FROM badge WHERE fingerprint = ?", arguments: [fingerprint.rawValue])
            else { throw StoreError.notFound("badge …\(badge.lastFour)") }
            return try revoke(id, at: now, db)
        case .revokeBadgeID(let id):
            return try revoke(id, at: now, db)
        case .addRegistration(let holder, let from, let until):
            _ = try requireActiveHolder(holder, db)
            // The same registration twice would only be noise in every listing (an import skips it too).
            if let existing = try Int64.fetchOne(
                db,
                sql: "SELECT id FROM registration WHERE holder_id = ? AND valid_from = ? AND valid_until = ?",
                arguments: [holder.rawValue, UTCTimestamp.format(from), UTCTimestamp.format(until)])
            {
                throw StoreError.invalid(
                    "holder \(holder) already has exactly this registration (registration \(existing)); nothing added")
            }
            let id = try insertRegistration(holder: holder, from: from, until: until, at: now, db)
            return (
                .registration(Registration(id: id, holderID: holder, from: from, until: until)),
                action(
                    "registration_add",
                    [
                        ("registration", .int(id)), ("holder", .int(holder.rawValue)),
                        ("from", .string(UTCTimestamp.format(from))), ("until", .string(UTCTimestamp.format(until))),
                    ])
            )
        case .removeRegistration(let id):
            guard
                let row = try Row.fetchOne(db, sql: "SELECT * FROM registration WHERE id = ?", arguments: [id])
            else { throw StoreError.notFound("registration \(id)") }
            let registration = try Self.registration(from: row)
            try db.execute(sql: "DELETE FROM registration WHERE id = ?", arguments: [id])
            return (
                .removedRegistration(registration),
                action(
                    "registration_remove",
                    [("registration", .int(id)), ("holder", .int(registration.holderID.rawValue))])
            )
        case .importRegistrations(let plan):
            let report = try RegistrationImporter.apply(plan, at: now, db)
            return (
                .imported(report),
                action(
                    "registration_import",
                    [
                        ("rows", .int(Int64(report.rows))), ("holders_created", .int(Int64(report.newHolders.count))),
                        ("registrations_added", .int(Int64(report.added))),
                        ("duplicates_skipped", .int(Int64(report.duplicateLines.count))),
                        ("overlaps", .int(Int64(report.overlaps.count))),
                    ])
            )
        case .addOverride(let override):
            return try add(override, db)
        case .removeOverride(let id):
            guard
                let row = try Row.fetchOne(db, sql: "SELECT * FROM calendar_override WHERE id = ?", arguments: [id])
            else { throw StoreError.notFound("closure or special hours \(id)") }
            let override = try Self.override(from: row)
            try db.execute(sql: "DELETE FROM calendar_override WHERE id = ?", arguments: [id])
            return (.override(override), action("closure_remove", [("override", .int(id))]))
        case .setWeekdayHours(let weekday, let intervals):
            let hours = intervals.map(\.description).joined(separator: " ")
            try db.execute(
                sql: "INSERT OR REPLACE INTO weekday_hours (weekday, hours, set_by, set_at) VALUES (?, ?, ?, ?)",
                arguments: [weekday.configKey, hours, context.actor, stamp])
            return (
                .done,
                action(
                    "hours_set",
                    [("weekday", .string(weekday.configKey)), ("hours", .string(hours.isEmpty ? "closed" : hours))])
            )
        case .resetWeekdayHours(let weekday):
            if let weekday {
                try db.execute(sql: "DELETE FROM weekday_hours WHERE weekday = ?", arguments: [weekday.configKey])
            } else {
                try db.execute(sql: "DELETE FROM weekday_hours")
            }
            return (
                .done,
                action(
                    "hours_reset",
                    [("weekday", .optional(weekday?.configKey)), ("days", .int(Int64(db.changesCount)))])
            )
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

    static func action(_ name: String, _ members: [(String, JSONValue)]) -> JSONValue {
        .object([("action", .string(name))] + members)
    }

    private static func required(_ fingerprint: BadgeFingerprint?) throws -> BadgeFingerprint {
        guard let fingerprint else { throw StoreError.invalid("a badge change needs the badge's fingerprint") }
        return fingerprint
    }

    /// The holder, removed or not; throws `notFound`.
    static func requireHolder(_ id: HolderID, _ db: Database) throws -> Holder {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM holder WHERE id = ?", arguments: [id.rawValue]) else {
            throw StoreError.notFound("holder \(id)")
        }
        return try holder(from: row)
    }

    /// The holder, who must not be removed.
    static func requireActiveHolder(_ id: HolderID, _ db: Database) throws -> Holder {
        let holder = try requireHolder(id, db)
        guard holder.removedAt == nil else {
            throw StoreError.conflict("holder \(id) was removed; add them again with holder add")
        }
        return holder
    }

    /// Refuses an e-mail that another holder (not removed) already has: imports match holders by e-mail.
    static func requireUniqueEmail(_ email: String?, except id: HolderID?, _ db: Database) throws {
        guard let email, !email.isEmpty else { return }
        if let owner = try Int64.fetchOne(
            db,
            sql: "SELECT id FROM holder WHERE email_key = ? AND removed_at IS NULL AND id IS NOT ? ORDER BY id LIMIT 1",
            arguments: [email.lowercased(), id?.rawValue])
        {
            throw StoreError.conflict(
                "holder \(owner) already has this e-mail; registrations are matched by e-mail, so give each holder their own (or edit holder \(owner))"
            )
        }
    }

    static func insertRegistration(
        holder: HolderID, from: Date, until: Date, at now: Date, _ db: Database
    ) throws -> Int64 {
        try db.cachedStatement(
            sql: "INSERT INTO registration (holder_id, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?)"
        ).execute(
            arguments: [
                holder.rawValue, UTCTimestamp.format(from), UTCTimestamp.format(until), UTCTimestamp.format(now),
            ])
        return db.lastInsertedRowID
    }

    private static func edit(_ id: HolderID, _ edit: HolderEdit, _ db: Database) throws -> (ChangeResult, JSONValue) {
        _ = try requireActiveHolder(id, db)
        var assignments: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        var fields: [JSONValue] = []
        if let name = edit.name {
            assignments.append("name = ?")
            arguments.append(name)
            fields.append(.string("name"))
        }
        if let profile = edit.profile {
            assignments.append("profile = ?")
            arguments.append(profile)
            fields.append(.string("profile"))
        }
        if let organisation = edit.organisation {
            assignments.append("organisation = ?")
            arguments.append(organisation.isEmpty ? nil : organisation)
            fields.append(.string("organisation"))
        }
        if let email = edit.email {
            try requireUniqueEmail(email, except: id, db)
            assignments.append("email = ?, email_key = ?")
            arguments.append(email.isEmpty ? nil : email)
            arguments.append(email.isEmpty ? nil : email.lowercased())
            fields.append(.string("email"))
        }
        arguments.append(id.rawValue)
        try db.execute(
            sql: "UPDATE holder SET \(assignments.joined(separator: ", ")) WHERE id = ?",
            arguments: StatementArguments(arguments))
        var details: [(String, JSONValue)] = [("holder", .int(id.rawValue)), ("fields", .array(fields))]
        if let profile = edit.profile { details.append(("profile", .string(profile))) }
        return (.holder(try requireHolder(id, db)), action("holder_edit", details))
    }

    private static func assign(
        _ badge: BadgeID, fingerprint: BadgeFingerprint, to holder: HolderID, at now: Date, _ db: Database
    ) throws -> (ChangeResult, JSONValue) {
        let lastFour = badge.lastFour
        _ = try requireActiveHolder(holder, db)
        let stamp = UTCTimestamp.format(now)
        if let row = try Row.fetchOne(
            db, sql: "SELECT holder_id, revoked FROM badge WHERE fingerprint = ?", arguments: [fingerprint.rawValue])
        {
            let existing = StoredRow(row, in: "badge")
            let owner: Int64 = try existing.required("holder_id")
            // A revoked card stays dead: it may be a lost or stolen one, and its reads keep being logged as such.
            guard try existing.required("revoked", as: Int64.self) == 0 else {
                throw StoreError.conflict(
                    "badge …\(lastFour) was revoked (it was holder \(owner)'s) and is never assigned again; issue another card"
                )
            }
            throw StoreError.conflict(
                "badge …\(lastFour) is already assigned to holder \(owner); a card has one holder (revoke it if it was lost)"
            )
        }
        try db.execute(
            sql: "INSERT INTO badge (fingerprint, last_four, holder_id, assigned_at) VALUES (?, ?, ?, ?)",
            arguments: [fingerprint.rawValue, lastFour, holder.rawValue, stamp])
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM badge WHERE fingerprint = ?", arguments: [fingerprint.rawValue])
        else { throw StoreError.notFound("badge …\(lastFour)") }
        let stored = try Self.badge(from: row)
        return (
            .badge(stored),
            action(
                "badge_assign",
                [
                    ("badge_id", stored.id.map(JSONValue.int) ?? .null), ("badge", .string(fingerprint.rawValue)),
                    ("last4", .string(lastFour)), ("holder", .int(holder.rawValue)),
                ])
        )
    }

    private static func revoke(_ id: Int64, at now: Date, _ db: Database) throws -> (ChangeResult, JSONValue) {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM badge WHERE id = ?", arguments: [id]) else {
            throw StoreError.notFound("badge \(id)")
        }
        let badge = try Self.badge(from: row)
        guard !badge.revoked else { throw StoreError.conflict("badge \(id) (…\(badge.lastFour)) is already revoked") }
        try db.execute(
            sql: "UPDATE badge SET revoked = 1, revoked_at = ? WHERE id = ?", arguments: [UTCTimestamp.format(now), id])
        guard let updated = try Row.fetchOne(db, sql: "SELECT * FROM badge WHERE id = ?", arguments: [id]) else {
            throw StoreError.notFound("badge \(id)")
        }
        return (
            .badge(try Self.badge(from: updated)),
            action(
                "badge_revoke",
                [
                    ("badge_id", .int(id)), ("badge", .string(badge.fingerprint.rawValue)),
                    ("holder", .int(badge.holderID.rawValue)),
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
                kind == "closed" ? "closure_add" : "special_hours_add",
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
}
