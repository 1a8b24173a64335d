/// Why the store refused or failed an operation. Each message says what to do.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `PRAGMA quick_check` found damage.
    case damaged(path: String, report: String)
    /// The database was written by a newer LabDoor.
    case schemaTooNew(path: String, unknownMigrations: [String])
    /// The database file does not exist (read-only open).
    case missing(path: String)
    /// The caller may not read the file (or its directory).
    case permissionDenied(path: String)
    /// The disk is full: the write was not committed.
    case diskFull(path: String)
    /// An I/O error: the write was not committed (or a read failed). `code` is SQLite's extended result code,
    /// when SQLite reported one (e.g. 522 for SQLITE_IOERR_SHORT_READ).
    case io(path: String, message: String, code: Int32? = nil)
    /// The state directory holds the site's keys but no valid log: the database was lost or replaced. Never a
    /// first start: the daemon refuses until an operator restores a backup or says `labdoord --init`.
    case lost(path: String, reason: String)
    /// The file is an SQLite database, but not a LabDoor one.
    case notLabDoor(path: String)
    /// A key file is missing, unreadable or malformed.
    case keys(path: String, message: String)
    /// A record was not found.
    case notFound(String)
    /// A change was refused because it conflicts with the data (e.g. badge already assigned).
    case conflict(String)
    /// The input is invalid.
    case invalid(String)

    /// A sentence for the operator.
    public var description: String {
        switch self {
        case .damaged(let path, let report):
            "\(path) failed its integrity check (\(report)); the door stays locked. Restore labdoor.db from a backup, or move it aside to start a new log"
        case .schemaTooNew(let path, let unknown):
            "\(path) was written by a newer LabDoor (unknown schema migrations: \(unknown.joined(separator: ", "))); upgrade LabDoor or restore a backup"
        case .missing(let path):
            "\(path) does not exist; pass --db with the path of labdoor.db (or of a copy of it)"
        case .permissionDenied(let path):
            "permission denied: you may not read \(path) (the file or its directory is not open to you); auditors in labdoor-audit ask the daemon (labdoorctl events, audit snapshot) or verify a copy"
        case .diskFull(let path):
            "the disk holding \(path) is full; the event was not written. Free space on it"
        case .io(let path, let message, let code):
            "I/O error on \(path): \(message)" + (code.map { " (SQLite result code \($0))" } ?? "")
        case .lost(let path, let reason):
            "\(path) \(reason), but the keys next to it belong to an existing site: its log was lost or replaced. The door stays locked. Restore labdoor.db from a backup, or run `labdoord --init` to begin a new log (the site's keys are kept)"
        case .notLabDoor(let path):
            "\(path) is not a LabDoor database (it has none of LabDoor's tables); pass --db with the path of labdoor.db or of a copy of it"
        case .keys(let path, let message):
            "\(path): \(message)"
        case .notFound(let what): "\(what) not found"
        case .conflict(let what): what
        case .invalid(let what): what
        }
    }
}
