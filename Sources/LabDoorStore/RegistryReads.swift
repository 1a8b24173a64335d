public import Foundation
import GRDB
public import LabDoorCore

/// The registry's reads. Listings are pages (keyset: `id > after ORDER BY id LIMIT n`), so that no request holds
/// a whole table in memory or a reader connection for long; on a writable store they run on the pool's reader
/// connections and never wait for the decision loop's writes.
extension LabDoorStore {
    /// The most rows one page may hold.
    public static let maximumPage = 1000

    /// A page of holders, in id order.
    public func holders(_ query: HolderQuery) throws(StoreError) -> [Holder] {
        var conditions = ["id > ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [query.after?.rawValue ?? 0]
        if !query.includeRemoved { conditions.append("removed_at IS NULL") }
        if let profile = query.profile {
            conditions.append("profile = ?")
            arguments.append(profile)
        }
        if let suspended = query.suspended {
            conditions.append("suspended = ?")
            arguments.append(suspended ? 1 : 0)
        }
        if let search = query.search, !search.isEmpty {
            let pattern = "%" + Self.likeEscaped(search) + "%"
            conditions.append(
                "(name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR organisation LIKE ? ESCAPE '\\')")
            arguments += [pattern, pattern, pattern]
        }
        arguments.append(Self.pageSize(query.limit))
        let sql = "SELECT * FROM holder WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?"
        return try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.holder(from:))
            }
        }
    }

    /// Every holder that is not removed, by id (tools and tests; listings page with `holders(_:)`).
    public func holders() throws(StoreError) -> [Holder] {
        var all: [Holder] = []
        var after: HolderID?
        while true {
            let page = try holders(HolderQuery(after: after, limit: Self.maximumPage))
            all += page
            guard page.count == Self.maximumPage, let last = page.last else { return all }
            after = last.id
        }
    }

    /// One holder (removed ones too), or nil.
    public func holder(_ id: HolderID) throws(StoreError) -> Holder? {
        try wrap {
            try database.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM holder WHERE id = ?", arguments: [id.rawValue]).map(
                    Self.holder(from:))
            }
        }
    }

    /// A page of badges, in id order.
    public func badges(_ query: BadgeQuery) throws(StoreError) -> [Badge] {
        var sql = "SELECT * FROM badge WHERE id > ?"
        var arguments: [(any DatabaseValueConvertible)?] = [query.after ?? 0]
        if let holder = query.holder {
            sql += " AND holder_id = ?"
            arguments.append(holder.rawValue)
        }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(Self.pageSize(query.limit))
        return try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.badge(from:))
            }
        }
    }

    /// Every badge (tools and tests).
    public func badges() throws(StoreError) -> [Badge] {
        var all: [Badge] = []
        var after: Int64?
        while true {
            let page = try badges(BadgeQuery(after: after, limit: Self.maximumPage))
            all += page
            guard page.count == Self.maximumPage, let last = page.last?.id else { return all }
            after = last
        }
    }

    /// A page of registrations, in id order.
    public func registrations(_ query: RegistrationQuery) throws(StoreError) -> [Registration] {
        var sql = "SELECT * FROM registration WHERE id > ?"
        var arguments: [(any DatabaseValueConvertible)?] = [query.after ?? 0]
        if let holder = query.holder {
            sql += " AND holder_id = ?"
            arguments.append(holder.rawValue)
        }
        if let at = query.activeAt {
            let stamp = UTCTimestamp.format(at)
            sql += " AND valid_from <= ? AND valid_until > ?"
            arguments += [stamp, stamp]
        }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(Self.pageSize(query.limit))
        return try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.registration(from:))
            }
        }
    }

    /// Registrations of one holder or all (tools and tests).
    public func registrations(holder: HolderID? = nil) throws(StoreError) -> [Registration] {
        var all: [Registration] = []
        var after: Int64?
        while true {
            let page = try registrations(RegistrationQuery(holder: holder, after: after, limit: Self.maximumPage))
            all += page
            guard page.count == Self.maximumPage, let last = page.last?.id else { return all }
            after = last
        }
    }

    /// The holder's last granted entry.
    public func lastEntry(of holder: HolderID) throws(StoreError) -> Date? {
        let text = try wrap {
            try database.read { db in
                try String.fetchOne(
                    db,
                    sql: """
                        SELECT time FROM event WHERE holder_id = ? AND kind = 'badge_decision' AND outcome = 'granted'
                        ORDER BY seq DESC LIMIT 1
                        """, arguments: [holder.rawValue])
            }
        }
        return text.flatMap(UTCTimestamp.parse)
    }

    /// The names of those of `ids` that exist.
    public func holderNames(_ ids: Set<HolderID>) throws(StoreError) -> [HolderID: String] {
        let sorted = ids.map(\.rawValue).sorted()
        return try wrap {
            try database.read { db in
                var names: [HolderID: String] = [:]
                for start in stride(from: 0, to: sorted.count, by: 500) {
                    let chunk = Array(sorted[start..<min(start + 500, sorted.count)])
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    for row in try Row.fetchAll(
                        db, sql: "SELECT id, name FROM holder WHERE id IN (\(marks))",
                        arguments: StatementArguments(chunk))
                    {
                        let stored = StoredRow(row, in: "holder")
                        names[HolderID(rawValue: try stored.required("id"))] = try stored.required("name")
                    }
                }
                return names
            }
        }
    }

    /// What importing `rows` would do, changing nothing: planned on a reader connection, from one snapshot.
    public func planImport(_ rows: [ImportRow]) throws(StoreError) -> ImportPlan {
        try wrap { try database.read { db in try RegistrationImporter.plan(rows, db) } }
    }

    /// The weekdays whose hours `hours set` stored, in weekday order.
    public func weekdayHours() throws(StoreError) -> [StoredWeekdayHours] {
        try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM weekday_hours").map {
                    row throws(DamagedRow) -> StoredWeekdayHours in
                    let stored = StoredRow(row, in: "weekday_hours")
                    let key: String = try stored.required("weekday")
                    guard let weekday = Weekday.allCases.first(where: { $0.configKey == key }) else {
                        throw DamagedRow(description: "\(stored.label): \"\(key)\" is not a weekday")
                    }
                    let setAt: String = try stored.required("set_at")
                    guard let at = UTCTimestamp.parse(setAt) else {
                        throw DamagedRow(description: "\(stored.label): set_at is not a UTC timestamp")
                    }
                    return StoredWeekdayHours(
                        weekday: weekday, intervals: try Self.intervals(try stored.required("hours"), stored),
                        setBy: try stored.required("set_by"), setAt: at)
                }.sorted { $0.weekday < $1.weekday }
            }
        }
    }

    /// All overrides, in the order added (the last that applies to a date wins).
    public func overrides() throws(StoreError) -> [CalendarOverride] {
        try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM calendar_override ORDER BY id").map(Self.override(from:))
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

    /// What the store knows about a presented badge, read fresh (a revocation applies to the next read). A
    /// removed holder's badge counts as revoked.
    public func credential(for fingerprint: BadgeFingerprint) throws(StoreError) -> Credential? {
        // Every badge read runs these three: prepared once (GRDB's statement cache), not per read.
        try wrap {
            try readOnWriter { db in
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT * FROM badge WHERE fingerprint = ?"),
                        arguments: [fingerprint.rawValue])
                else { return nil }
                var badge = try Self.badge(from: row)
                guard
                    let holderRow = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT * FROM holder WHERE id = ?"),
                        arguments: [badge.holderID.rawValue])
                else { return nil }
                let holder = try Self.holder(from: holderRow)
                if holder.removedAt != nil { badge.revoked = true }
                let registrations = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM registration WHERE holder_id = ?"),
                    arguments: [holder.id.rawValue]
                ).map(Self.registration(from:))
                return Credential(badge: badge, holder: holder, registrations: registrations)
            }
        }
    }

    /// A consistent read on the writer connection, for the decision loop, which is the one writer: that
    /// connection's page cache survives the loop's own commits, where a pool reader drops its whole cache at the
    /// first read after any commit and reads the B-tree pages again (at 2,000,000 holders that was ~200 µs of every
    /// badge read). Waits only behind a write, never behind a long read.
    func readOnWriter<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writeWithoutTransaction { db in
            // BEGIN and COMMIT as cached statements: GRDB's transaction helpers parse them again at every call,
            // which was a quarter of a badge read.
            try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
            do {
                let value = try body(db)
                try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                return value
            } catch {
                if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
                throw error
            }
        }
    }

    // MARK: Rows

    static func holder(from row: Row) throws(DamagedRow) -> Holder {
        let stored = StoredRow(row, in: "holder")
        return Holder(
            id: HolderID(rawValue: try stored.required("id")), name: try stored.required("name"),
            profile: try stored.required("profile"), organisation: try stored.optional("organisation"),
            email: try stored.optional("email"), suspended: try stored.required("suspended", as: Int64.self) == 1,
            createdAt: try timestamp(stored, "created_at"), removedAt: try timestamp(stored, "removed_at"))
    }

    static func badge(from row: Row) throws(DamagedRow) -> Badge {
        let stored = StoredRow(row, in: "badge")
        return Badge(
            fingerprint: BadgeFingerprint(rawValue: try stored.required("fingerprint")),
            lastFour: try stored.required("last_four"), holderID: HolderID(rawValue: try stored.required("holder_id")),
            revoked: try stored.required("revoked", as: Int64.self) == 1, id: try stored.required("id"),
            assignedAt: try timestamp(stored, "assigned_at"), revokedAt: try timestamp(stored, "revoked_at"))
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

    static func override(from row: Row) throws(DamagedRow) -> CalendarOverride {
        let stored = StoredRow(row, in: "calendar_override")
        guard let first = LocalDate(iso: try stored.required("first_day", as: String.self)),
            let last = LocalDate(iso: try stored.required("last_day", as: String.self))
        else { throw DamagedRow(description: "\(stored.label): first_day or last_day is not a date") }
        let reason: String = try stored.required("reason")
        let kind: CalendarOverride.Kind =
            try stored.required("kind", as: String.self) == "closed"
            ? .closed(reason: reason)
            : .hours(try intervals(try stored.required("hours"), stored), note: reason)
        return CalendarOverride(id: try stored.required("id"), firstDay: first, lastDay: last, kind: kind)
    }

    /// Intervals stored as `HH:MM-HH:MM HH:MM-HH:MM` (empty: none).
    private static func intervals(_ text: String, _ stored: StoredRow) throws(DamagedRow) -> [OpeningInterval] {
        try text.split(separator: " ").map { part throws(DamagedRow) in
            guard let interval = OpeningInterval(parsing: part) else {
                throw DamagedRow(description: "\(stored.label): hours \"\(text)\" are not intervals")
            }
            return interval
        }
    }

    /// An optional UTC timestamp column.
    private static func timestamp(_ stored: StoredRow, _ column: String) throws(DamagedRow) -> Date? {
        guard let text: String = try stored.optional(column) else { return nil }
        guard let date = UTCTimestamp.parse(text) else {
            throw DamagedRow(description: "\(stored.label): \(column) is not a UTC timestamp")
        }
        return date
    }

    /// `text` with LIKE's wildcards (and the escape character) escaped.
    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    /// A page size within 1…`maximumPage`.
    static func pageSize(_ limit: Int) -> Int { min(max(limit, 1), maximumPage) }
}
