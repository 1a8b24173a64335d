import Crypto
public import Foundation
import GRDB
public import LabDoorCore

extension LabDoorStore {
    /// Appends events in one transaction, chained and hashed, and signs a checkpoint when 100 events have
    /// accumulated since the last one. Returns them once committed (fsynced).
    ///
    /// On a full disk or I/O error it throws and nothing was written: the caller keeps the events and retries.
    @discardableResult
    public func append(_ records: [EventRecord]) throws(StoreError) -> [LoggedEvent] {
        let keys = try keysOrThrow()
        return try wrap {
            try database.write { db in
                let logged = try Self.insert(records, db)
                if let last = logged.last {
                    let covered = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM checkpoint") ?? 0
                    if last.seq - covered >= Self.checkpointEvents {
                        try Self.writeCheckpoint(
                            seq: last.seq, hash: last.hash, kind: .periodic, now: last.record.time, keys: keys, db)
                    }
                }
                return logged
            }
        }
    }

    /// Appends one event; see `append(_:)`.
    @discardableResult
    public func append(_ record: EventRecord) throws(StoreError) -> LoggedEvent {
        guard let event = try append([record]).first else {
            throw .io(path: path, message: "the append of one event committed none; check the database", code: nil)
        }
        return event
    }

    /// The last event's seq and hash, or the anchor's, or (0, genesis).
    static func tail(_ db: Database) throws -> (seq: Int64, hash: String) {
        if let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1") {
            let stored = StoredRow(row, in: "event")
            return (try stored.required("seq"), try stored.required("hash"))
        }
        if let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM log_anchor WHERE id = 1") {
            let stored = StoredRow(row, in: "log_anchor")
            return (try stored.required("seq"), try stored.required("hash"))
        }
        return (0, CanonicalEncoding.genesisHash)
    }

    static func insert(_ record: EventRecord, _ db: Database) throws -> LoggedEvent {
        guard let event = try insert([record], db).first else {
            throw DamagedRow(description: "the insert of one event returned none")
        }
        return event
    }

    /// Inserts `records` in order, each chained to the one before: the tail is read once, the statement is
    /// prepared once (a large append costs the canonical bytes, a hash and a step per event).
    static func insert(_ records: [EventRecord], _ db: Database) throws -> [LoggedEvent] {
        guard !records.isEmpty else { return [] }
        var (lastSeq, lastHash) = try tail(db)
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO event (seq, time, kind, reader, badge, holder_id, outcome, reason, actor, details,
                    clock_trusted, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        var logged: [LoggedEvent] = []
        logged.reserveCapacity(records.count)
        for unescaped in records {
            // The boundary: text is stored — and hashed — with its control characters escaped, so that the bytes
            // the hash covers are the bytes SQLite keeps (GRDB binds text NUL-terminated).
            var record = unescaped
            record.reader = TextEscaping.escaped(record.reader)
            record.actor = TextEscaping.escaped(record.actor)
            record.details = TextEscaping.escaped(record.details)
            let (seq, overflow) = lastSeq.addingReportingOverflow(1)
            guard !overflow else {
                throw DamagedRow(description: "the log is at seq \(lastSeq), the largest it can hold")
            }
            let time = UTCTimestamp.format(record.time)
            let values: [DatabaseValue] = [
                seq.databaseValue, time.databaseValue, record.kind.rawValue.databaseValue,
                record.reader.databaseValue, record.badge?.rawValue.databaseValue ?? .null,
                record.holderID?.rawValue.databaseValue ?? .null, record.outcome?.rawValue.databaseValue ?? .null,
                record.reason?.rawValue.databaseValue ?? .null, record.actor.databaseValue,
                record.details.databaseValue, (record.clockTrusted ? 1 : 0).databaseValue, lastHash.databaseValue,
            ]
            let hash = CanonicalEncoding.eventHash(values)
            try statement.execute(arguments: StatementArguments(values + [hash.databaseValue]))
            logged.append(LoggedEvent(seq: seq, time: time, record: record, prevHash: lastHash, hash: hash))
            (lastSeq, lastHash) = (seq, hash)
        }
        return logged
    }

    @discardableResult
    static func writeCheckpoint(
        seq: Int64, hash: String, kind: CheckpointKind, now: Date, keys: SiteKeys, _ db: Database
    ) throws -> Checkpoint {
        let publicKey = LogPublicKey(rawRepresentation: keys.signingKey.publicKey.rawRepresentation)
        let time = UTCTimestamp.format(now)
        let payload = CanonicalEncoding.checkpointPayload(
            seq: seq, hash: hash, time: time, kind: kind.rawValue, keyID: publicKey.keyID)
        let signature = try keys.signingKey.signature(for: payload)
        try db.execute(
            sql: "INSERT INTO checkpoint (seq, hash, time, kind, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [seq, hash, time, kind.rawValue, publicKey.keyID, signature.base64EncodedString()])
        return Checkpoint(seq: seq, hash: hash, time: time, kind: kind, keyID: publicKey.keyID, signature: signature)
    }

    /// Signs a checkpoint over the last event, unless the last checkpoint already covers it. Returns the new
    /// checkpoint, if one was made. `monotonic` restarts the 15-minute clock.
    @discardableResult
    public func checkpoint(
        kind: CheckpointKind, now: Date, monotonic: MonotonicInstant? = nil
    ) throws(StoreError)
        -> Checkpoint?
    {
        let keys = try keysOrThrow()
        let made = try wrap {
            try database.write { db -> Checkpoint? in
                let (seq, hash) = try Self.tail(db)
                let covered = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM checkpoint") ?? 0
                guard seq > covered, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 > 0 else {
                    return nil
                }
                return try Self.writeCheckpoint(seq: seq, hash: hash, kind: kind, now: now, keys: keys, db)
            }
        }
        if let monotonic { noteCheckpoint(at: monotonic) }
        return made
    }

    /// Signs a periodic checkpoint if 15 minutes (monotonic) have passed since the last one and events were
    /// appended since. The daemon calls this from its heartbeat.
    @discardableResult
    public func checkpointIfDue(now: Date, monotonic: MonotonicInstant) throws(StoreError) -> Checkpoint? {
        let due = checkpointClockDue(monotonic)
        guard due else { return nil }
        return try checkpoint(kind: .periodic, now: now, monotonic: monotonic)
    }

    /// Signs a checkpoint over the last event unless one covers it (the store port's form of `checkpoint`).
    public func signCheckpoint(kind: CheckpointKind, now: Date, monotonic: MonotonicInstant?) throws(StoreError) {
        try checkpoint(kind: kind, now: now, monotonic: monotonic)
    }

    /// Signs a periodic checkpoint when due (the store port's form of `checkpointIfDue`).
    public func signCheckpointIfDue(now: Date, monotonic: MonotonicInstant) throws(StoreError) {
        try checkpointIfDue(now: now, monotonic: monotonic)
    }

    /// The newest checkpoint, if any.
    public func latestCheckpoint() throws(StoreError) -> Checkpoint? {
        try wrap {
            try database.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM checkpoint ORDER BY seq DESC LIMIT 1").flatMap(
                    Self.checkpoint(from:))
            }
        }
    }

    /// Every checkpoint, oldest first.
    public func checkpoints() throws(StoreError) -> [Checkpoint] {
        try wrap {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM checkpoint ORDER BY seq").map(Self.checkpoint(from:))
            }
        }
    }

    static func checkpoint(from row: Row) throws(DamagedRow) -> Checkpoint {
        let stored = StoredRow(row, in: "checkpoint")
        let encoded: String = try stored.required("signature")
        guard let signature = Data(base64Encoded: encoded) else {
            throw DamagedRow(description: "\(stored.label): signature is not base64")
        }
        return Checkpoint(
            seq: try stored.required("seq"), hash: try stored.required("hash"), time: try stored.required("time"),
            kind: try stored.code("kind"), keyID: try stored.required("key_id"), signature: signature)
    }

    /// Events matching `filter`, oldest first (with `limit`, the newest `limit` of them, still oldest first).
    public func events(_ filter: EventFilter = EventFilter()) throws(StoreError) -> [LoggedEvent] {
        let (whereClause, args) = Self.conditions(filter)
        let sql: String
        if let limit = filter.limit {
            sql =
                "SELECT * FROM (SELECT * FROM event \(whereClause) ORDER BY seq DESC LIMIT \(max(0, limit))) ORDER BY seq"
        } else if let first = filter.first {
            sql = "SELECT * FROM event \(whereClause) ORDER BY seq LIMIT \(max(0, first))"
        } else {
            sql = "SELECT * FROM event \(whereClause) ORDER BY seq"
        }
        return try wrap {
            try database.read { db in
                let statement = try db.makeStatement(sql: sql)
                let names = statement.columnNames
                let cursor = try Row.fetchCursor(statement, arguments: args)
                var events: [LoggedEvent] = []
                while let row = try cursor.next() { events.append(try Self.event(from: row, names: names)) }
                return events
            }
        }
    }

    /// The `WHERE` clause (empty when the filter matches everything) and its arguments for `filter`; `limit` and
    /// `first` are not conditions.
    static func conditions(_ filter: EventFilter) -> (String, StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let since = filter.since {
            conditions.append("time >= ?")
            arguments += [UTCTimestamp.format(since)]
        }
        if let until = filter.until {
            conditions.append("time < ?")
            arguments += [UTCTimestamp.format(until)]
        }
        if let holder = filter.holderID {
            conditions.append("holder_id = ?")
            arguments += [holder.rawValue]
        }
        if let outcome = filter.outcome {
            conditions.append("outcome = ?")
            arguments += [outcome.rawValue]
        }
        if let reason = filter.reason {
            conditions.append("reason = ?")
            arguments += [reason.rawValue]
        }
        if let after = filter.afterSeq {
            conditions.append("seq > ?")
            arguments += [after]
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    static func event(from row: Row, names: [String]? = nil) throws(DamagedRow) -> LoggedEvent {
        let stored = StoredRow(row, in: "event", names: names)
        let time: String = try stored.required("time")
        guard let instant = UTCTimestamp.parse(time) else {
            throw DamagedRow(description: "\(stored.label): time \"\(time)\" is not a UTC timestamp")
        }
        let record = EventRecord(
            time: instant, kind: try stored.code("kind"), reader: try stored.optional("reader"),
            badge: try stored.optional("badge", as: String.self).map(BadgeFingerprint.init(rawValue:)),
            holderID: try stored.optional("holder_id", as: Int64.self).map(HolderID.init(rawValue:)),
            outcome: try stored.optionalCode("outcome"), reason: try stored.optionalCode("reason"),
            actor: try stored.optional("actor"), details: try stored.optional("details"),
            clockTrusted: try stored.required("clock_trusted", as: Int64.self) == 1)
        return LoggedEvent(
            seq: try stored.required("seq"), time: time, record: record, prevHash: try stored.required("prev_hash"),
            hash: try stored.required("hash"))
    }

    /// Commits `pending`, then removes events older than `before`, leaving a signed anchor so that the rest still
    /// verifies; logs the purge as `log_purged` by `context.actor` and signs a checkpoint after it — one
    /// transaction. Deleted pages are overwritten (`secure_delete`).
    public func purge(
        before: Date, _ context: ChangeContext, after pending: [EventRecord] = []
    ) throws(StoreError) -> AppliedPurge {
        let keys = try keysOrThrow()
        let cutoff = UTCTimestamp.format(before)
        return try wrap {
            try database.write { db -> AppliedPurge in
                var logged = try Self.insert(pending, db)
                // Purge by seq: everything up to the last event older than the cut-off (the log's order is
                // its seq order, even if the wall clock once went backwards).
                let last = try Row.fetchOne(
                    db, sql: "SELECT seq, hash FROM event WHERE seq = (\(Self.lastBeforeCutoff))", arguments: [cutoff])
                var removed = 0
                var details: [(String, JSONValue)] = [("before", .string(cutoff))]
                var anchorSeq: Int64?
                if let last {
                    let stored = StoredRow(last, in: "event")
                    let seq: Int64 = try stored.required("seq")
                    let hash: String = try stored.required("hash")
                    let publicKey = LogPublicKey(rawRepresentation: keys.signingKey.publicKey.rawRepresentation)
                    let time = UTCTimestamp.format(context.now)
                    let anchor = CanonicalEncoding.anchorPayload(
                        seq: seq, hash: hash, time: time, keyID: publicKey.keyID)
                    let signature = try keys.signingKey.signature(for: anchor)
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO log_anchor (id, seq, hash, time, key_id, signature)
                            VALUES (1, ?, ?, ?, ?, ?)
                            """,
                        arguments: [seq, hash, time, publicKey.keyID, signature.base64EncodedString()])
                    removed = try Self.count(through: seq, db)
                    try db.execute(sql: "DELETE FROM event WHERE seq <= ?", arguments: [seq])
                    try db.execute(sql: "DELETE FROM checkpoint WHERE seq <= ?", arguments: [seq])
                    anchorSeq = seq
                    details += [("removed", .int(Int64(removed))), ("anchor_seq", .int(seq))]
                } else {
                    details.append(("removed", .int(0)))
                }
                let event = try Self.insert(
                    EventRecord(
                        time: context.now, kind: .logPurged, actor: context.actor,
                        details: JSONValue.object(details).description, clockTrusted: context.clockTrusted), db)
                logged.append(event)
                try Self.writeCheckpoint(
                    seq: event.seq, hash: event.hash, kind: .config, now: context.now, keys: keys, db)
                return AppliedPurge(removed: removed, anchorSeq: anchorSeq, logged: logged)
            }
        }
    }

    /// What `purge(before:)` would remove now, removing nothing: how many events, and the last one's seq (nil:
    /// none is older than `before`).
    public func purgePreview(before: Date) throws(StoreError) -> (removed: Int, anchorSeq: Int64?) {
        let cutoff = UTCTimestamp.format(before)
        return try wrap {
            try database.read { db -> (Int, Int64?) in
                guard let seq = try Int64.fetchOne(db, sql: Self.lastBeforeCutoff, arguments: [cutoff]) else {
                    return (0, nil)
                }
                return (try Self.count(through: seq, db), seq)
            }
        }
    }

    /// A purge removes everything up to the last event older than the cut-off, by seq (the log's order is its
    /// seq order, even if the wall clock once went backwards).
    private static let lastBeforeCutoff = "SELECT MAX(seq) FROM event WHERE time < ?"

    private static func count(through seq: Int64, _ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE seq <= ?", arguments: [seq]) ?? 0
    }

    /// The purge anchor, if the log was ever purged.
    public func anchor() throws(StoreError) -> PurgeAnchor? {
        try wrap { try database.read { db in try Self.anchor(db) } }
    }

    static func anchor(_ db: Database) throws -> PurgeAnchor? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM log_anchor WHERE id = 1") else { return nil }
        let stored = StoredRow(row, in: "log_anchor")
        let encoded: String = try stored.required("signature")
        guard let signature = Data(base64Encoded: encoded) else {
            throw DamagedRow(description: "the purge anchor's signature is not base64")
        }
        return PurgeAnchor(
            seq: try stored.required("seq"), hash: try stored.required("hash"), time: try stored.required("time"),
            keyID: try stored.required("key_id"), signature: signature)
    }

    private func checkpointClockDue(_ monotonic: MonotonicInstant) -> Bool {
        // The first call starts the clock; the first checkpoint is due 15 minutes later.
        if let last = lastCheckpointMonotonic() { return monotonic - last >= Self.checkpointInterval }
        noteCheckpoint(at: monotonic)
        return false
    }
}
