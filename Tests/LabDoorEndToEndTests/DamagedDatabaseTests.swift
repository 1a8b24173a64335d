import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A damaged database is input like any other: `audit verify`, `events` and `audit export` on each file of a
/// corpus of damage must end with exit 1 (damage or tampering, naming the seq or the problem) or 2 (cannot
/// check) and a message — never a signal, never a hang.
@Suite("Damaged databases: a corpus against verify, events and export", .timeLimit(.minutes(5)))
struct DamagedDatabaseTests {
    /// One way to damage the sample database (a copy of it at `path`).
    struct Damage: Sendable, CustomTestStringConvertible {
        let name: String
        let apply: @Sendable (_ path: String) throws -> Void
        /// The commands that read the damaged part and must report it (exit 1 or 2); the others must still end
        /// normally (no signal, no hang) and may succeed — `events` does not read checkpoints.
        var mustReport: Set<String> = ["verify", "events", "export"]
        var testDescription: String { name }
    }

    static func sql(_ statements: String...) -> @Sendable (String) throws -> Void {
        { path in
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "DROP TRIGGER IF EXISTS event_append_only; DROP TRIGGER IF EXISTS event_no_delete")
                for statement in statements { try db.execute(sql: statement) }
            }
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
    }

    /// Rebuilds `table` without its constraints (an attacker with the file can), then runs `statement` on it:
    /// values SQLite's NOT NULL, CHECK and INTEGER PRIMARY KEY would refuse.
    static func loosened(_ table: String, _ statement: String) -> @Sendable (String) throws -> Void {
        sql(
            "ALTER TABLE \(table) RENAME TO \(table)_old", "CREATE TABLE \(table) AS SELECT * FROM \(table)_old",
            "DROP TABLE \(table)_old", statement)
    }

    static func truncate(to fraction: Double) -> @Sendable (String) throws -> Void {
        { path in
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            guard Glibc.truncate(path, off_t(Double(size) * fraction)) == 0 else {
                throw HarnessError(message: "truncate")
            }
        }
    }

    static func overwrite(at fraction: Double, bytes: Int, seed: UInt8) -> @Sendable (String) throws -> Void {
        { path in
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: UInt64(Double(size) * fraction))
            try handle.write(contentsOf: Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0 * 37) ^ seed }))
        }
    }

    static let corpus: [Damage] = [
        Damage(name: "truncated to 0 bytes", apply: truncate(to: 0)),
        Damage(name: "truncated to 100 bytes", apply: { path in _ = Glibc.truncate(path, 100) }),
        Damage(name: "truncated to half", apply: truncate(to: 0.5)),
        Damage(name: "truncated by one page", apply: truncate(to: 0.9)),
        Damage(name: "header overwritten", apply: overwrite(at: 0, bytes: 100, seed: 0x5A)),
        // Where no event lives (an index, a holder): opening a file reads only its header and schema (a 4 GB log
        // must not be read whole to show one day), so `events` may not meet it; verify and export check every
        // page.
        Damage(
            name: "a page in the middle overwritten", apply: overwrite(at: 0.5, bytes: 4096, seed: 0xA5),
            mustReport: ["verify", "export"]),
        Damage(
            name: "the event table's root page overwritten",
            apply: { path in
                let (root, pageSize) = try DatabaseQueue(path: path).read { db in
                    (
                        try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'event'") ?? 2,
                        try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                    )
                }
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                try handle.seek(toOffset: UInt64((root - 1) * pageSize + 8))
                try handle.write(contentsOf: Data((0..<(pageSize - 8)).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
            }),
        Damage(
            name: "a NULL checkpoint signature",
            apply: loosened("checkpoint", "UPDATE checkpoint SET signature = NULL"),
            mustReport: ["verify", "export"]),
        Damage(
            name: "a checkpoint seq as text", apply: loosened("checkpoint", "UPDATE checkpoint SET seq = 'many'"),
            mustReport: ["verify", "export"]),
        Damage(name: "an event seq as text", apply: loosened("event", "UPDATE event SET seq = 'x' WHERE seq = 3")),
        Damage(name: "an event kind as an integer", apply: sql("UPDATE event SET kind = 7 WHERE seq = 4")),
        Damage(name: "a NULL event time", apply: loosened("event", "UPDATE event SET time = NULL WHERE seq = 5")),
        Damage(name: "a NULL event hash", apply: loosened("event", "UPDATE event SET hash = NULL WHERE seq = 6")),
        Damage(
            name: "an anchor at the largest seq",
            apply: sql(
                "INSERT INTO log_anchor (id, seq, hash, time, key_id, signature) VALUES (1, 9223372036854775807, 'h', 't', 'k', 'c2ln')"
            )),
        Damage(
            name: "an anchor with a NULL signature",
            apply: loosened(
                "log_anchor",
                "INSERT INTO log_anchor (id, seq, hash, time, key_id, signature) VALUES (1, 2, 'h', 't', 'k', NULL)")),
        Damage(name: "the event table dropped", apply: sql("DROP TABLE event")),
        Damage(name: "the checkpoint table dropped", apply: sql("DROP TABLE checkpoint")),
        Damage(name: "the signing key table dropped", apply: sql("DROP TABLE signing_key")),
        Damage(name: "the migrations table dropped", apply: sql("DROP TABLE grdb_migrations")),
        Damage(
            name: "a directory",
            apply: { path in
                try FileManager.default.removeItem(atPath: path)
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            }),
        Damage(
            name: "a FIFO",
            apply: { path in
                try FileManager.default.removeItem(atPath: path)
                guard mkfifo(path, 0o600) == 0 else { throw HarnessError(message: "mkfifo") }
            }),
        Damage(
            name: "a symlink to /dev/zero",
            apply: { path in
                try FileManager.default.removeItem(atPath: path)
                try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
            }),
    ]

    @Test("verify, events and export end with exit 1 or 2 and a message, never a signal or a hang", arguments: corpus)
    func damaged(_ damage: Damage) throws {
        let dir = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sample = try Binaries.run("labdoor-logwriter", ["sample", dir.path])
        #expect(sample.status == 0, "\(sample.stderr)")
        let db = dir.appendingPathComponent("labdoor.db").path
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        try damage.apply(db)
        for (name, command) in [
            ("verify", ["audit", "verify"]), ("events", ["events"]),
            ("export", ["audit", "export", "--format", "json"]),
        ] {
            let result = try Binaries.run("labdoorctl", command + ["--db", db], timeout: 20)
            let what = "\(damage.name): labdoorctl \(command.joined(separator: " "))"
            #expect(!result.timedOut, "\(what) hung")
            #expect(!result.signalled, "\(what) died of a signal (status \(result.status)): \(result.stderr)")
            if damage.mustReport.contains(name) {
                #expect([1, 2].contains(result.status), "\(what) exited \(result.status): \(result.stderr)")
            } else {
                #expect([0, 1, 2].contains(result.status), "\(what) exited \(result.status): \(result.stderr)")
            }
            #expect(result.status == 0 || !result.stderr.isEmpty, "\(what) failed without a word")
            if result.status == 1 {
                // Damage found: the message names the seq or what is wrong.
                #expect(
                    result.stderr.contains("seq") || result.stderr.contains("damaged")
                        || result.stderr.contains("integrity"), "\(what): \(result.stderr)")
            }
        }
    }
}
