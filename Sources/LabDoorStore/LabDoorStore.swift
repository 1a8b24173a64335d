import Crypto
import Foundation
import GRDB
public import LabDoorCore
import Synchronization

/// The LabDoor database (`labdoor.db`): holders, badges, registrations, calendar overrides, the door mode, and
/// the tamper-evident event log with its signed checkpoints.
///
/// Thread safety: the type may be used from any thread. A writable store is a GRDB `DatabasePool`: one writer
/// connection, and reader connections that never wait for it (a listing or an auditor's follow does not delay
/// the decision loop's commits, and the loop's reads do not wait behind a long read). A read-only store is a
/// `DatabaseQueue`, which can also open an immutable copy.
/// Durability: WAL with `synchronous=FULL`; a method that returns has committed (fsynced) its write, and one that
/// throws has committed nothing.
public final class LabDoorStore: AccessStore {
    /// The database path.
    public let path: String
    /// Whether the store was opened read-only (no keys, no writes).
    public let isReadOnly: Bool
    let database: any DatabaseWriter
    let keys: SiteKeys?

    /// Checkpoint rules: at least every `checkpointEvents` events or `checkpointInterval`.
    public static let checkpointEvents: Int64 = 100
    /// The longest time between checkpoints while events are being written.
    public static let checkpointInterval: Duration = .seconds(15 * 60)

    private struct CheckpointClock {
        var lastCheckpointAt: MonotonicInstant?
    }
    private let checkpointClock = Mutex(CheckpointClock())

    func lastCheckpointMonotonic() -> MonotonicInstant? { checkpointClock.withLock { $0.lastCheckpointAt } }

    func noteCheckpoint(at instant: MonotonicInstant) { checkpointClock.withLock { $0.lastCheckpointAt = instant } }

    /// Opens (creating if needed) the database at `path` for writing, with the site keys in `keysDirectory`
    /// (created on first start). Runs `PRAGMA quick_check` and the migrations.
    ///
    /// Throws `StoreError.damaged` or `.schemaTooNew` rather than ever starting on a damaged or foreign log.
    public init(path: String, keysDirectory: String) throws(StoreError) {
        self.path = path
        self.isReadOnly = false
        self.keys = try SiteKeys.loadOrCreate(in: keysDirectory)
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        let pool = try Self.wrap(path) { try DatabasePool(path: path, configuration: config) }
        // DatabasePool turns WAL on and then sets synchronous=NORMAL on its writer; the log needs FULL (a commit
        // that returned survives a power cut), so set it again on the one writer connection.
        try Self.wrap(path) {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        }
        database = pool
        try Self.checkIntegrity(pool, path: path)
        try Self.migrate(pool, path: path)
        if let keys {
            let publicKey = LogPublicKey(rawRepresentation: keys.signingKey.publicKey.rawRepresentation)
            try Self.wrap(path) {
                try pool.write { db in
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO signing_key (key_id, public_key, created_at) VALUES (?, ?, ?)",
                        arguments: [publicKey.keyID, publicKey.description, UTCTimestamp.format(Date())])
                }
            }
        }
    }

    /// Opens an existing database read-only (auditors, `--db` commands): no keys needed, nothing written.
    public init(readOnlyPath path: String) throws(StoreError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        self.path = path
        self.isReadOnly = true
        self.keys = nil
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        let queue: DatabaseQueue
        do {
            queue = try Self.openChecked(path, as: path, config)
        } catch  where Self.isReadOnlyLocation(error) && !FileManager.default.fileExists(atPath: path + "-wal") {
            // A copy on read-only media or in a directory the auditor cannot write: SQLite cannot create the WAL
            // index (-shm) there. With no -wal file nobody is writing it, so open it as immutable (Debian's SQLite
            // is built with URI filenames).
            let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
            queue = try Self.openChecked("file:\(encoded)?immutable=1", as: path, config)
        }
        database = queue
        let (known, applied) = try Self.wrap(path) {
            try queue.read { db in
                (Migrations.migrator.migrations, try Migrations.migrator.appliedIdentifiers(db))
            }
        }
        let unknown = applied.subtracting(known)
        guard unknown.isEmpty else { throw .schemaTooNew(path: path, unknownMigrations: unknown.sorted()) }
        guard applied.count == known.count else {
            throw .invalid(
                "\(path) has an older schema (\(applied.sorted().joined(separator: ", "))); start labdoord on it once to upgrade, then copy it again"
            )
        }
    }

    private static func openChecked(
        _ target: String, as path: String, _ config: Configuration
    ) throws(StoreError)
        -> DatabaseQueue
    {
        let queue = try wrap(path) { try DatabaseQueue(path: target, configuration: config) }
        try checkIntegrity(queue, path: path)
        return queue
    }

    private static func isReadOnlyLocation(_ error: StoreError) -> Bool {
        if case .io = error { return true }
        return false
    }

    private static func checkIntegrity(_ database: any DatabaseReader, path: String) throws(StoreError) {
        let report: [String]
        do {
            report = try database.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT
        {
            throw .damaged(path: path, report: error.message ?? "not a database")
        } catch {
            throw translate(error, path: path)
        }
        guard report == ["ok"] else { throw .damaged(path: path, report: report.prefix(3).joined(separator: "; ")) }
    }

    private static func migrate(_ database: any DatabaseWriter, path: String) throws(StoreError) {
        let migrator = Migrations.migrator
        let applied = try wrap(path) { try database.read { db in try migrator.appliedIdentifiers(db) } }
        let unknown = applied.subtracting(migrator.migrations)
        guard unknown.isEmpty else { throw .schemaTooNew(path: path, unknownMigrations: unknown.sorted()) }
        try wrap(path) { try migrator.migrate(database) }
    }

    /// Runs `body`, turning SQLite errors into `StoreError`s with the path.
    static func wrap<T>(_ path: String, _ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw translate(error, path: path)
        }
    }

    func wrap<T>(_ body: () throws -> T) throws(StoreError) -> T { try Self.wrap(path, body) }

    static func translate(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else { return .io(path: path, message: "\(error)", code: nil) }
        switch error.resultCode {
        case .SQLITE_FULL: return .diskFull(path: path)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .damaged(path: path, report: error.message ?? "corrupt")
        case .SQLITE_CONSTRAINT: return .conflict(error.message ?? "constraint failed")
        default:
            return .io(
                path: path, message: error.message ?? "\(error.resultCode)", code: error.extendedResultCode.rawValue)
        }
    }

    /// The public key that verifies this site's checkpoints (from the keys, or the database when read-only).
    public func publicKey() throws(StoreError) -> LogPublicKey {
        if let keys { return LogPublicKey(rawRepresentation: keys.signingKey.publicKey.rawRepresentation) }
        let texts = try wrap {
            try database.read { db in try String.fetchAll(db, sql: "SELECT public_key FROM signing_key") }
        }
        guard let text = texts.last, let key = LogPublicKey(text: text) else {
            throw .notFound("a signing key in \(path)")
        }
        return key
    }

    /// The keyed fingerprint of a badge number (requires the site secret: writable stores only).
    public func fingerprint(of badge: BadgeID) throws(StoreError) -> BadgeFingerprint {
        guard let keys else { throw .invalid("badge fingerprints need the site secret; open the store with its keys") }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(badge.normalised.utf8), using: keys.badgeSecret)
        return BadgeFingerprint(rawValue: Data(mac).hex)
    }

    /// Copies the WAL into the main file (`PRAGMA wal_checkpoint(TRUNCATE)`), so that `labdoor.db` alone holds
    /// everything; called at shutdown.
    public func flushWAL() throws(StoreError) {
        try wrap {
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
    }

    func keysOrThrow() throws(StoreError) -> SiteKeys {
        guard let keys else { throw .invalid("\(path) is open read-only; this needs the writable store") }
        return keys
    }
}
