import Crypto
public import Foundation
import GRDB
public import LabDoorCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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

    /// Opens (creating it on a first start) the database at `path` for writing, with the site keys in
    /// `keysDirectory` (created on first start). Runs the migrations; reads only the file's header and schema,
    /// never the whole file (`checkIntegrity()` does that, and the daemon runs it in the background).
    ///
    /// Throws `StoreError.damaged` or `.schemaTooNew` rather than ever starting on a damaged or foreign log, and
    /// `.lost` when the keys exist but the database is missing, empty or not LabDoor's: that is a lost log, not a
    /// first start (`initialize` begins a new one on purpose).
    public convenience init(path: String, keysDirectory: String) throws(StoreError) {
        if SiteKeys.exist(in: keysDirectory) { try Self.requireLog(at: path) }
        try self.init(creating: path, keysDirectory: keysDirectory)
    }

    /// Opens or creates the database, with no check for a lost log.
    private init(creating path: String, keysDirectory: String) throws(StoreError) {
        self.path = path
        self.isReadOnly = false
        try SiteKeys.createDirectory(keysDirectory)  // as before: the state directory exists once the keys' does
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
        try Self.probe(pool, path: path)
        try Self.migrate(pool, path: path)
        // The keys come after the database holds its schema: keys without a log mean a lost log (`init`
        // refuses to start), so a first start killed in between must not leave keys behind it.
        self.keys = try SiteKeys.loadOrCreate(in: keysDirectory)
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

    /// Throws `.lost` unless `path` holds a LabDoor log (any schema version); damage is left to the normal open.
    private static func requireLog(at path: String) throws(StoreError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .lost(path: path, reason: "does not exist") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { throw .lost(path: path, reason: "is empty") }
        var config = Configuration()
        config.readonly = true
        let applied: Set<String>
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            applied = try queue.read { db in
                try db.tableExists("grdb_migrations") ? try Migrations.migrator.appliedIdentifiers(db) : []
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            // Not SQLite at all: a one-byte or overwritten file. SQLite would take a short file for an empty one
            // and write a new schema into it.
            throw .lost(path: path, reason: "is not a database (\(size) bytes)")
        } catch {
            return  // damage, permissions: the normal open reports them with their own words
        }
        guard !applied.isEmpty else { throw .lost(path: path, reason: "holds no LabDoor log") }
    }

    /// `labdoord --init`: begins a new, empty log at `path` with the site's keys in `keysDirectory` (kept if they
    /// exist), its first event `log_initialized`. A database that is there but is not a valid LabDoor log (lost,
    /// damaged, foreign) is moved aside to `labdoor.db.lost-YYYYMMDDTHHMMSSZ` first, never deleted; a valid log
    /// is never replaced. Returns the new store and where the old file went.
    public static func initialize(
        path: String, keysDirectory: String, now: Date, clockTrusted: Bool
    ) throws(StoreError) -> (store: LabDoorStore, movedAside: String?) {
        var movedAside: String?
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if FileManager.default.fileExists(atPath: path), size > 0 {
            if let existing = try? LabDoorStore(readOnlyPath: path),
                let last = try? existing.events(EventFilter(limit: 1))
            {
                throw .invalid(
                    "\(path) holds a LabDoor log (last seq \(last.last?.seq ?? 0)); --init never replaces one. Move it aside yourself if a new log is really wanted"
                )
            }
            let stamp = UTCTimestamp.format(now).replacingOccurrences(of: "-", with: "")
                .replacingOccurrences(of: ":", with: "").prefix(15)
            let target = "\(path).lost-\(stamp)Z"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                guard rename(path + suffix, target + suffix) == 0 else {
                    throw .io(path: path + suffix, message: "cannot move it aside to \(target + suffix)", code: nil)
                }
            }
            movedAside = target
        } else {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let keysExisted = SiteKeys.exist(in: keysDirectory)
        let store = try LabDoorStore(creating: path, keysDirectory: keysDirectory)
        var details: [(String, JSONValue)] = [("keys", .string(keysExisted ? "kept" : "new"))]
        if let movedAside { details.append(("moved_aside", .string((movedAside as NSString).lastPathComponent))) }
        try store.append(
            EventRecord(
                time: now, kind: .logInitialized, actor: "labdoord --init",
                details: JSONValue.object(details).description,
                clockTrusted: clockTrusted))
        try store.checkpoint(kind: .config, now: now)
        return (store, movedAside)
    }

    /// Opens an existing database read-only (auditors, `--db` commands): no keys needed, nothing written.
    public init(readOnlyPath path: String) throws(StoreError) {
        try Self.requireRegularFile(path)
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
        guard !applied.isEmpty else { throw .notLabDoor(path: path) }
        let unknown = applied.subtracting(known)
        guard unknown.isEmpty else { throw .schemaTooNew(path: path, unknownMigrations: unknown.sorted()) }
        guard applied.count == known.count else {
            throw .invalid(
                "\(path) has an older schema (\(applied.sorted().joined(separator: ", "))); start labdoord on it once to upgrade, then copy it again"
            )
        }
        try Self.checkStructure(database, path: path)
    }

    /// The tables LabDoor's migrations create; a read-only open refuses a file that lacks one.
    static let tables = [
        "holder", "badge", "registration", "calendar_override", "door_state", "event", "checkpoint", "signing_key",
        "log_anchor", "weekday_hours", "registry_generation",
    ]

    /// What `quick_check` cannot see: a dropped table, a purge anchor that is unreadable or not before the first
    /// event. Reads a few rows, never the whole log.
    private static func checkStructure(_ database: any DatabaseReader, path: String) throws(StoreError) {
        try wrap(path) {
            try database.read { db in
                for table in tables where try !db.tableExists(table) {
                    throw DamagedRow(description: "the table \(table) is missing")
                }
                guard let anchor = try anchor(db) else { return }
                if let first = try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM event"), anchor.seq >= first {
                    throw DamagedRow(
                        description: "the purge anchor (seq \(anchor.seq)) is not before the first event (seq \(first))"
                    )
                }
            }
        }
    }

    /// A database is a regular file: a directory, a FIFO (which would block the open) or a device is refused.
    static func requireRegularFile(_ path: String) throws(StoreError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { throw .missing(path: path) }
            if code == EACCES { throw .permissionDenied(path: path) }
            throw .io(path: path, message: "cannot look at it: \(String(cString: strerror(code)))", code: nil)
        }
        let kind: String? =
            switch info.st_mode & S_IFMT {
            case S_IFREG: nil
            case S_IFDIR: "a directory"
            case S_IFIFO: "a FIFO"
            case S_IFCHR, S_IFBLK: "a device"
            case S_IFSOCK: "a socket"
            default: "not a regular file"
            }
        if let kind { throw .invalid("\(path) is \(kind), not a database file; pass --db with the path of labdoor.db") }
        guard access(path, R_OK) == 0 else { throw .permissionDenied(path: path) }
    }

    private static func openChecked(
        _ target: String, as path: String, _ config: Configuration
    ) throws(StoreError)
        -> DatabaseQueue
    {
        let queue = try wrap(path) { try DatabaseQueue(path: target, configuration: config) }
        try probe(queue, path: path)
        return queue
    }

    private static func isReadOnlyLocation(_ error: StoreError) -> Bool {
        if case .io = error { return true }
        return false
    }

    /// Reads the header and the schema (a few pages, however large the file): a file that is not SQLite, or whose
    /// schema is unreadable, is refused here; SQLite opens lazily, so this is also where a read-only location
    /// shows (no -shm can be made).
    private static func probe(_ database: any DatabaseReader, path: String) throws(StoreError) {
        try wrap(path) {
            _ = try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        }
    }

    /// `PRAGMA quick_check` over the whole file: throws `.damaged` with SQLite's first findings. Reads every page
    /// (50 s for a 4 GB log with a cold cache on a small board), on a reader connection: the daemon runs it in
    /// the background after it is ready, so that it never delays the door.
    public func checkIntegrity() throws(StoreError) {
        let report: [String]
        do {
            report = try database.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT
        {
            throw .damaged(path: path, report: error.message ?? "not a database")
        } catch {
            throw Self.translate(error, path: path)
        }
        guard report == ["ok"] else { throw .damaged(path: path, report: report.prefix(3).joined(separator: "; ")) }
    }

    private static func migrate(_ database: any DatabaseWriter, path: String) throws(StoreError) {
        let migrator = Migrations.migrator
        let applied = try wrap(path) { try database.read { db in try migrator.appliedIdentifiers(db) } }
        let unknown = applied.subtracting(migrator.migrations)
        guard unknown.isEmpty else { throw .schemaTooNew(path: path, unknownMigrations: unknown.sorted()) }
        guard applied.count < migrator.migrations.count else { return }
        try wrap(path) {
            try migrator.migrate(database)
            // A migration rewrites tables; leave its pages in the database file, not in a WAL that keeps them.
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
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
        if let damaged = error as? DamagedRow { return .damaged(path: path, report: damaged.description) }
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
        return keys.fingerprinter.fingerprint(of: badge)
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
