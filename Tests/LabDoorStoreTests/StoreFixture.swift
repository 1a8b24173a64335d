import Foundation
import GRDB
import LabDoorCore
import LabDoorStore

/// A store in a fresh temporary state directory, removed by `cleanUp()`.
struct StoreFixture {
    let dir: URL
    let store: LabDoorStore
    var dbPath: String { dir.appendingPathComponent("labdoor.db").path }
    var keysPath: String { dir.appendingPathComponent("keys").path }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("labdoor-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try LabDoorStore(
            path: dir.appendingPathComponent("labdoor.db").path, keysDirectory: dir.appendingPathComponent("keys").path)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: dir) }

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Appends `count` badge-decision events one second apart.
    @discardableResult
    func appendEvents(_ count: Int, from first: Int = 0) throws -> [LoggedEvent] {
        var logged: [LoggedEvent] = []
        for i in first..<(first + count) {
            let granted = i % 3 == 0
            let record = EventRecord(
                time: Self.start.addingTimeInterval(TimeInterval(i)), kind: .badgeDecision,
                reader: i % 2 == 0 ? "entry" : "exit", badge: BadgeFingerprint(rawValue: String(format: "%064x", i)),
                holderID: HolderID(rawValue: Int64(i % 7)), outcome: granted ? .granted : .denied,
                reason: granted ? .granted : .outsideOpeningHours, actor: nil, details: "event \(i)",
                clockTrusted: i % 5 != 0)
            logged.append(try store.append(record))
        }
        return logged
    }

    /// A raw GRDB connection to the file, as an attacker with file access has, with the append-only triggers
    /// dropped (as such an attacker would).
    func tamper(_ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: dbPath)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS event_append_only; DROP TRIGGER IF EXISTS event_no_delete")
            try body(db)
        }
    }

    /// Verifies with a fresh read-only store (as an auditor on a copy would).
    func verify(publicKey: LogPublicKey? = nil, kept: Checkpoint? = nil) throws -> LogVerifier.Report {
        let readOnly = try LabDoorStore(readOnlyPath: dbPath)
        return try LogVerifier(store: readOnly).verify(publicKey: publicKey ?? store.publicKey(), kept: kept)
    }

    /// The first problem `verify` reports, or nil when the log verifies.
    func problem(publicKey: LogPublicKey? = nil, kept: Checkpoint? = nil) throws -> LogVerifier.Problem? {
        try problems(publicKey: publicKey, kept: kept).first
    }

    /// Every problem `verify` reports, first first; empty when the log verifies.
    func problems(publicKey: LogPublicKey? = nil, kept: Checkpoint? = nil) throws -> [LogVerifier.Problem] {
        do {
            _ = try verify(publicKey: publicKey, kept: kept)
            return []
        } catch let failure as LogVerifier.Failure {
            return failure.problems
        }
    }
}
