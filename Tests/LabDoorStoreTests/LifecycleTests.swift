import Foundation
import GRDB
import LabDoorCore
import Testing

@testable import LabDoorStore

@Suite("Store lifecycle: migrations, damage, retention")
struct LifecycleTests {
    @Test("a database created by the first migration set is upgraded, keeping its data and log")
    func upgradeFromFirstMigrationSet() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("labdoor-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("labdoor.db").path
        do {
            let old = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(old, upTo: "v1")
            try old.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO holder (name, profile, created_at) VALUES ('Aino', 'visitor', '2026-01-01T00:00:00.000Z')"
                )
                // The first event as the v1 code wrote it: seq 1 after the genesis hash.
                let values: [DatabaseValue] = [
                    1.databaseValue, "2023-11-14T22:13:20.000Z".databaseValue, "daemon_started".databaseValue,
                    .null, .null, .null, .null, .null, .null, .null, 1.databaseValue,
                    CanonicalEncoding.genesisHash.databaseValue,
                ]
                try db.execute(
                    sql: """
                        INSERT INTO event (seq, time, kind, reader, badge, holder_id, outcome, reason, actor, details,
                            clock_trusted, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: StatementArguments(values + [CanonicalEncoding.eventHash(values).databaseValue]))
            }
            #expect(try old.read { db in try Migrations.migrator.appliedIdentifiers(db) } == ["v1"])
        }
        let store = try LabDoorStore(path: path, keysDirectory: dir.appendingPathComponent("keys").path)
        #expect(try store.holders().map(\.name) == ["Aino"])
        try store.append(EventRecord(time: Date(), kind: .daemonStarted, clockTrusted: true))
        #expect(try store.events().map(\.seq) == [1, 2])
        #expect(try LogVerifier(store: store).verify(publicKey: store.publicKey()).events == 2)
        let applied = try store.database.read { db in try Migrations.migrator.appliedIdentifiers(db) }
        #expect(applied == Set(Migrations.migrator.migrations))
    }

    @Test("a database from a newer LabDoor is refused, read-write and read-only")
    func schemaTooNew() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try DatabaseQueue(path: f.dbPath).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
        }
        #expect(throws: StoreError.schemaTooNew(path: f.dbPath, unknownMigrations: ["v9-from-the-future"])) {
            try LabDoorStore(path: f.dbPath, keysDirectory: f.keysPath)
        }
        #expect(throws: StoreError.schemaTooNew(path: f.dbPath, unknownMigrations: ["v9-from-the-future"])) {
            try LabDoorStore(readOnlyPath: f.dbPath)
        }
    }

    @Test(
        "a damaged database is found by the integrity check (at open when the header or schema is hit), never replaced")
    func damaged() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(300)
        try f.store.flushWAL()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: f.dbPath)[.size] as? Int)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: f.dbPath))
        // Overwrite a page in the middle (not the header) with garbage.
        try handle.seek(toOffset: UInt64(size / 2 / 4096 * 4096))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
        try handle.close()
        // The open reads only the header and schema (it must not delay the door on a large log); the check
        // the daemon runs in the background reads every page.
        var caught: StoreError?
        do {
            let store = try LabDoorStore(path: f.dbPath, keysDirectory: f.keysPath)
            try store.checkIntegrity()
        } catch {
            caught = error
        }
        guard case .damaged(let path, _)? = caught else {
            Issue.record("expected .damaged, got \(String(describing: caught))")
            return
        }
        #expect(path == f.dbPath)
        #expect(FileManager.default.fileExists(atPath: f.dbPath))

        // A file that is not a database at all.
        let garbage = f.dir.appendingPathComponent("garbage.db").path
        try Data(repeating: 0x42, count: 10_000).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: StoreError.self) { try LabDoorStore(path: garbage, keysDirectory: f.keysPath) }
    }

    @Test("a purge removes old events, leaves a signed anchor, logs itself, and the rest still verifies")
    func purge() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(250)
        let early = try #require(try f.store.latestCheckpoint())
        let removed = try f.store.purge(
            before: StoreFixture.start.addingTimeInterval(120),
            ChangeContext(actor: "auditor", now: StoreFixture.start.addingTimeInterval(1000), clockTrusted: true)
        ).removed
        #expect(removed == 120)
        let events = try f.store.events()
        #expect(events.first?.seq == 121)
        #expect(events.last?.record.kind == .logPurged)
        #expect(events.last?.record.actor == "auditor")
        #expect(events.last?.record.details == #"{"before":"2027-01-15T08:02:00.000Z","removed":120,"anchor_seq":120}"#)
        let anchor = try #require(try f.store.anchor())
        #expect(anchor.seq == 120 && events.first?.prevHash == anchor.hash)
        let report = try f.verify()
        #expect(report.firstSeq == 121 && report.lastSeq == 251)
        // A checkpoint the auditor kept from before the purge is older than the anchor: noted, not a failure.
        let old = try #require(Checkpoint(text: early.description))
        #expect(old.seq == 200)
        #expect(try f.problem(kept: old) == nil)
        #expect(try f.verify(kept: old).notes.isEmpty)  // 200 is still in the log
        // Deleting a remaining event is still detected.
        try f.tamper { db in try db.execute(sql: "DELETE FROM event WHERE seq = 121") }
        #expect(try f.problem()?.seq == 121)
    }

    @Test("an edited purge anchor is detected")
    func editedAnchor() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(50)
        _ = try f.store.purge(
            before: StoreFixture.start.addingTimeInterval(10),
            ChangeContext(actor: "a", now: StoreFixture.start, clockTrusted: true))
        try f.tamper { db in try db.execute(sql: "UPDATE log_anchor SET seq = 5") }
        #expect(try f.problem()?.seq == 5)
    }
}

@Suite("Store failures: disk full and crashes", .serialized, .timeLimit(.minutes(5)))
struct FailureTests {
    @Test("when the database cannot grow, appends throw diskFull and nothing committed is lost")
    func databaseFull() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let committed = try f.appendEvents(20)
        try f.store.database.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages + 2)")
        }
        var error: StoreError?
        var appended = committed
        for i in 20..<5000 {
            do {
                appended += try f.appendEvents(1, from: i)
            } catch let e as StoreError {
                error = e
                break
            }
        }
        #expect(error == .diskFull(path: f.dbPath))
        #expect(error?.description.contains("is full") == true)
        // A failed append is not half-applied: the next read sees exactly what was committed, and it verifies.
        let reopened = try LabDoorStore(readOnlyPath: f.dbPath)
        #expect(try reopened.events().map(\.seq) == appended.map(\.seq))
        #expect(try LogVerifier(store: reopened).verify(publicKey: f.store.publicKey()).lastSeq == appended.last?.seq)
    }

    static var isRoot: Bool { getuid() == 0 }

    @Test(
        "on a real full filesystem (a 512 KiB tmpfs), appends fail loudly and committed events survive",
        .enabled(if: isRoot))
    func filesystemFull() throws {
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("labdoor-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mount) }
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mount.path])
        defer { try? Self.run("/bin/umount", [mount.path]) }
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("labdoor-keys-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let path = mount.appendingPathComponent("labdoor.db").path
        let store = try LabDoorStore(path: path, keysDirectory: keys)
        // Ballast to free later: the disk fills, then space comes back without touching the database.
        let ballast = mount.appendingPathComponent("ballast").path
        #expect(FileManager.default.createFile(atPath: ballast, contents: Data(repeating: 0x42, count: 128 * 1024)))
        var committed: [Int64] = []
        var failure: StoreError?
        let filler = String(repeating: "x", count: 2000)
        for i in 0..<10_000 {
            do {
                let event = try store.append(
                    EventRecord(
                        time: Date(timeIntervalSince1970: Double(i)), kind: .adminChange, details: filler,
                        clockTrusted: true))
                committed.append(event.seq)
            } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure)
        #expect(error == .diskFull(path: path) || { if case .io = error { true } else { false } }(), "\(error)")
        #expect(committed.count > 10)
        // Free space again: the same store writes again, after everything committed, and it all verifies.
        try FileManager.default.removeItem(atPath: ballast)
        let after = try store.append(
            EventRecord(time: Date(timeIntervalSince1970: 20_000), kind: .logDegraded, clockTrusted: true))
        #expect(after.seq == (committed.last ?? 0) + 1)
        committed.append(after.seq)
        let reopened = try LabDoorStore(readOnlyPath: path)
        #expect(try reopened.events().map(\.seq) == committed)
        #expect(try LogVerifier(store: reopened).verify(publicKey: store.publicKey()).events == committed.count)
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StoreError.io(path: tool, message: "\(tool) \(arguments.joined(separator: " ")) failed")
        }
    }
}

@Suite("A lost database is not a first start")
struct LostDatabaseTests {
    /// A site whose keys exist but whose database is gone or replaced, as `kind` says.
    static func lose(_ f: StoreFixture, _ kind: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: f.dbPath + suffix) }
        switch kind {
        case "empty": #expect(FileManager.default.createFile(atPath: f.dbPath, contents: Data()))
        case "one byte": #expect(FileManager.default.createFile(atPath: f.dbPath, contents: Data([0x78])))
        case "another SQLite file":
            try DatabaseQueue(path: f.dbPath).write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT)") }
        default: break
        }
    }

    @Test(
        "keys without a valid database are refused, the file left as it is; --init begins a new log with the same keys",
        arguments: ["missing", "empty", "one byte", "another SQLite file"])
    func lost(kind: String) throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(3)
        let key = try f.store.publicKey()
        try Self.lose(f, kind)
        let before = try? Data(contentsOf: URL(fileURLWithPath: f.dbPath))
        do {
            _ = try LabDoorStore(path: f.dbPath, keysDirectory: f.keysPath)
            Issue.record("a \(kind) database was taken for a first start")
        } catch {
            guard case .lost = error else {
                Issue.record("\(kind): \(error)")
                return
            }
            #expect(error.description.contains("labdoord --init") && error.description.contains("backup"))
        }
        #expect((try? Data(contentsOf: URL(fileURLWithPath: f.dbPath))) == before, "the refused file was changed")

        let (store, movedAside) = try LabDoorStore.initialize(
            path: f.dbPath, keysDirectory: f.keysPath, now: StoreFixture.start, clockTrusted: true)
        #expect(try store.publicKey() == key, "the site's keys are kept")
        let first = try #require(try store.events().first)
        #expect(first.seq == 1 && first.record.kind == .logInitialized)
        #expect((movedAside != nil) == (kind != "missing" && kind != "empty"), "\(movedAside ?? "nil")")
        if let movedAside { #expect(FileManager.default.fileExists(atPath: movedAside)) }
        #expect(try LogVerifier(store: store).verify(publicKey: key).events == 1)
        _ = try LabDoorStore(path: f.dbPath, keysDirectory: f.keysPath)  // a normal start works again
    }

    @Test("--init never replaces a valid log")
    func initRefusesAValidLog() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(5)
        #expect(throws: StoreError.self) {
            try LabDoorStore.initialize(
                path: f.dbPath, keysDirectory: f.keysPath, now: StoreFixture.start, clockTrusted: true)
        }
        #expect(try f.store.events().count == 5)
    }

    @Test("a file that is not a LabDoor database is called that, with no advice to start labdoord on it")
    func notLabDoor() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try Self.lose(f, "another SQLite file")
        do {
            _ = try LabDoorStore(readOnlyPath: f.dbPath)
            Issue.record("opened a foreign file")
        } catch {
            #expect(error.description.contains("not a LabDoor database"), "\(error)")
            #expect(!error.description.contains("start labdoord"), "\(error)")
        }
    }
}

@Suite("Stored data is input: rows of the wrong type are errors, not traps")
struct StoredDataTests {
    @Test("a holder whose name is a blob, or whose suspended flag is text, is reported damaged by every reader")
    func wrongTypes() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let context = ChangeContext(actor: "kaisa", now: StoreFixture.start, clockTrusted: true)
        let holder = try f.store.addHolder(name: "Aino", profile: "visitor", context)
        let badge = try f.store.assignBadge(try BadgeID(parsing: "12345678"), to: holder.id, context)
        try f.tamper { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "UPDATE holder SET name = X'00FF00', suspended = 'no'")
        }
        func expectDamaged(_ what: String, _ read: () throws -> Void) {
            do {
                try read()
                Issue.record("\(what): a damaged holder row was read as if intact")
            } catch let error as StoreError {
                guard case .damaged(_, let report) = error else {
                    Issue.record("\(what): \(error)")
                    return
                }
                #expect(report.contains("holder id 1") && report.contains("name"), "\(what): \(report)")
            } catch {
                Issue.record("\(what): \(error)")
            }
        }
        expectDamaged("holders") { _ = try f.store.holders() }
        expectDamaged("credential") { _ = try f.store.credential(for: badge.fingerprint) }
    }
}
