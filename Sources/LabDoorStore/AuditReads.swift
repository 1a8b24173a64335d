import Crypto
public import Foundation
import GRDB
public import LabDoorCore

extension LabDoorStore {
    /// Where a listing of only the newest `count` events matching `filter` starts: the seq to page `after`
    /// (0 when fewer match). One indexed query, whatever the log's size.
    public func startOfNewest(_ filter: EventFilter, count: Int) throws(StoreError) -> Int64 {
        var filter = filter
        filter.limit = nil
        filter.first = nil
        let (whereClause, args) = Self.conditions(filter)
        let sql = "SELECT seq FROM event \(whereClause) ORDER BY seq DESC LIMIT 1 OFFSET \(max(0, count))"
        return try wrap { try database.read { db in try Int64.fetchOne(db, sql: sql, arguments: args) ?? 0 } }
    }

    /// A page of the signed checkpoints after `seq`, oldest first.
    public func checkpoints(after seq: Int64, limit: Int) throws(StoreError) -> [Checkpoint] {
        try wrap {
            try database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM checkpoint WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit]
                ).map(Self.checkpoint(from:))
            }
        }
    }

    /// The events of `[start, end)` counted by UTC minute, kind, outcome, reason and reader (for a report): one
    /// aggregate query over the time index.
    public func usageBuckets(from start: Date, to end: Date) throws(StoreError) -> [UsageBucket] {
        try wrap {
            try database.read { db in
                let statement = try db.makeStatement(
                    sql: """
                        SELECT substr(time, 1, 16) AS minute, kind, outcome, reason, reader, COUNT(*) AS n
                        FROM event WHERE time >= ? AND time < ?
                        AND kind IN ('badge_decision', 'door_forced', 'door_held_open', 'reader_attached',
                                     'reader_detached', 'reader_locked_out')
                        GROUP BY minute, kind, outcome, reason, reader
                        """)
                let names = statement.columnNames
                let cursor = try Row.fetchCursor(
                    statement, arguments: [UTCTimestamp.format(start), UTCTimestamp.format(end)])
                var buckets: [UsageBucket] = []
                while let row = try cursor.next() {
                    let stored = StoredRow(row, in: "event", names: names)
                    buckets.append(
                        UsageBucket(
                            minute: try stored.required("minute"), kind: try stored.required("kind"),
                            outcome: try stored.optional("outcome"), reason: try stored.optional("reason"),
                            reader: try stored.optional("reader"), count: try stored.required("n")))
                }
                return buckets
            }
        }
    }

    /// Writes a consistent copy of the database to `path` (a new file; SQLite's online backup from one read
    /// snapshot, so writes go on meanwhile), as a plain rollback-journal file that opens anywhere without a WAL.
    /// Returns its size. A failed copy is removed.
    public func snapshot(to path: String) throws(StoreError) -> Int64 {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw .invalid("\(path) exists already; a snapshot never overwrites a file")
        }
        do throws(StoreError) {
            try Self.wrap(path) {
                let copy = try DatabaseQueue(path: path)
                try database.backup(to: copy)
                try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
                try copy.close()
            }
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw .io(path: path, message: "the copy vanished: \(String(cString: strerror(errno)))", code: nil)
            }
            return Int64(info.st_size)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }
}

extension LabDoorStore {
    /// The name prefix of the copies `streamSnapshot` makes in the state directory.
    static let snapshotPrefix = "snapshot-"

    /// Makes a consistent copy in `directory` (`snapshot(to:)`), hands its size to `start` and its bytes, in
    /// order, to `chunk` (`chunkSize` at a time) until either returns false, and deletes it. Returns the bytes
    /// sent and their SHA-256 (hex), or nil when the consumer stopped.
    public func streamSnapshot(
        in directory: String, chunkSize: Int, start: (Int64) -> Bool, chunk: (Data) -> Bool
    ) throws(StoreError) -> (bytes: Int64, sha256: String)? {
        let path = "\(directory)/\(Self.snapshotPrefix)\(getpid())-\(UInt64.random(in: 0...UInt64.max)).db"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = try snapshot(to: path)
        guard start(size) else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .io(path: path, message: "the copy cannot be read back", code: nil)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var sent: Int64 = 0
        while true {
            let data: Data
            do {
                data = try handle.read(upToCount: chunkSize) ?? Data()
            } catch {
                throw .io(path: path, message: "reading the copy: \(error)", code: nil)
            }
            if data.isEmpty { break }
            hasher.update(data: data)
            sent += Int64(data.count)
            guard chunk(data) else { return nil }
        }
        return (sent, hasher.finalize().hex)
    }

    /// Removes copies a crashed daemon left in `directory`.
    public static func removeLeftoverSnapshots(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(snapshotPrefix) && name.hasSuffix(".db") {
            try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
        }
    }
}

extension LabDoorStore {
    /// How many events the log holds (for a progress bar's total).
    public func eventCount() throws(StoreError) -> Int64 {
        try wrap { try database.read { db in try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 } }
    }
}

/// SHA-256 over bytes as they arrive (a snapshot's chunks), for `labdoorctl` to check what the daemon sent.
public struct SnapshotDigest {
    private var hasher = SHA256()

    /// An empty digest.
    public init() {}

    /// Adds bytes.
    public mutating func update(_ data: Data) { hasher.update(data: data) }

    /// The digest, hex.
    public var hex: String { hasher.finalize().hex }
}
