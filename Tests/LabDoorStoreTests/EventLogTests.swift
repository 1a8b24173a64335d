import Crypto
import Foundation
import GRDB
import LabDoorCore
import Synchronization
import Testing

@testable import LabDoorStore

@Suite("Event log: chain, checkpoints, durability settings")
struct EventLogTests {
    @Test("a new store uses WAL, synchronous=FULL and foreign keys, and keeps its keys private")
    func settings() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let queue = try DatabaseQueue(path: f.dbPath)
        #expect(try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        let attributes = try FileManager.default.attributesOfItem(atPath: f.keysPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        for file in ["badge-secret", "log-signing.ed25519"] {
            let fileAttributes = try FileManager.default.attributesOfItem(atPath: "\(f.keysPath)/\(file)")
            #expect((fileAttributes[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        // The store's own connection: synchronous FULL (2) and foreign keys on.
        let (synchronous, foreignKeys) = try f.store.database.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(synchronous == 2 && foreignKeys == 1)
    }

    @Test("events chain: contiguous seqs, each prev_hash is the previous hash, and the log verifies")
    func chain() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let events = try f.appendEvents(250)
        #expect(events.map(\.seq) == Array(1...250))
        #expect(events[0].prevHash == String(repeating: "0", count: 64))
        for (a, b) in zip(events, events.dropFirst()) { #expect(b.prevHash == a.hash) }
        let report = try f.verify()
        #expect(report.events == 250 && report.firstSeq == 1 && report.lastSeq == 250)
        #expect(report.checkpoints == 2)
        #expect(report.description.hasPrefix("OK: 250 events (seq 1–250), 2 checkpoints"))
        #expect(try f.store.events() == events)
    }

    @Test("a checkpoint is signed at least every 100 events, and on request only when there is something new")
    func checkpointsEvery100() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(99)
        #expect(try f.store.latestCheckpoint() == nil)
        try f.appendEvents(1, from: 99)
        #expect(try f.store.latestCheckpoint()?.seq == 100)
        #expect(try f.store.checkpoint(kind: .shutdown, now: StoreFixture.start) == nil)
        try f.appendEvents(1, from: 100)
        let shutdown = try #require(try f.store.checkpoint(kind: .shutdown, now: StoreFixture.start))
        #expect(shutdown.seq == 101 && shutdown.kind == .shutdown)
        let key = try f.store.publicKey()
        let parsed = try #require(Checkpoint(text: shutdown.description))
        #expect(parsed == shutdown)
        #expect(try f.problem(publicKey: key, kept: parsed) == nil)
    }

    @Test("a periodic checkpoint is due 15 monotonic minutes after the last, if events were written")
    func checkpointsEvery15Minutes() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let t0 = MonotonicInstant(sinceOrigin: .seconds(100))
        #expect(try f.store.checkpointIfDue(now: StoreFixture.start, monotonic: t0) == nil)
        try f.appendEvents(3)
        #expect(try f.store.checkpointIfDue(now: StoreFixture.start, monotonic: t0 + .seconds(14 * 60 + 59)) == nil)
        #expect(try f.store.checkpointIfDue(now: StoreFixture.start, monotonic: t0 + .seconds(15 * 60))?.seq == 3)
        // Nothing new: no checkpoint even when due.
        #expect(try f.store.checkpointIfDue(now: StoreFixture.start, monotonic: t0 + .seconds(31 * 60)) == nil)
    }

    @Test("the event table refuses updates and deletes through SQL")
    func appendOnlyTriggers() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(3)
        let queue = try DatabaseQueue(path: f.dbPath)
        #expect(throws: DatabaseError.self) {
            try queue.write { try $0.execute(sql: "UPDATE event SET reader = 'x' WHERE seq = 2") }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { try $0.execute(sql: "DELETE FROM event WHERE seq = 3") }
        }
    }

    @Test("events are filtered by time, holder, outcome, reason and limit")
    func filters() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(30)
        let s = StoreFixture.start
        #expect(
            try f.store.events(EventFilter(since: s.addingTimeInterval(10), until: s.addingTimeInterval(20))).map(\.seq)
                == Array(11...20))
        #expect(try f.store.events(EventFilter(holderID: HolderID(rawValue: 3))).map(\.seq) == [4, 11, 18, 25])
        #expect(try f.store.events(EventFilter(outcome: .granted)).count == 10)
        #expect(try f.store.events(EventFilter(reason: .outsideOpeningHours)).count == 20)
        #expect(try f.store.events(EventFilter(limit: 3)).map(\.seq) == [28, 29, 30])
        #expect(try f.store.events(EventFilter(afterSeq: 27)).map(\.seq) == [28, 29, 30])
    }

    @Test("badge numbers are stored only as keyed fingerprints and last four characters")
    func privacy() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let context = ChangeContext(actor: "root", now: StoreFixture.start, clockTrusted: true)
        let holder = try f.store.addHolder(name: "Aino", profile: "visitor", context)
        let number = "4711081512"
        let badge = try f.store.assignBadge(try BadgeID(parsing: number), to: holder.id, context)
        #expect(badge.lastFour == "1512")
        #expect(badge.fingerprint.rawValue.count == 64)
        try f.store.flushWAL()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: f.dbPath))
        #expect(bytes.range(of: Data(number.utf8)) == nil)
        // Another site (another secret) gives another fingerprint for the same number.
        let other = try StoreFixture()
        defer { other.cleanUp() }
        #expect(try other.store.fingerprint(of: try BadgeID(parsing: number)) != badge.fingerprint)
        // The fingerprint is HMAC-SHA256 of the normalised number with the secret in keys/badge-secret.
        let secretText = try String(contentsOfFile: "\(f.keysPath)/badge-secret", encoding: .utf8)
        let secret = try #require(Data(base64Encoded: secretText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(number.utf8), using: SymmetricKey(data: secret))
        #expect(Data(mac).map { String(format: "%02x", $0) }.joined() == badge.fingerprint.rawValue)
    }

    @Test("a revocation applies to the very next lookup, and every change is logged with its actor")
    func changesAreLogged() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let context = ChangeContext(actor: "kaisa", now: StoreFixture.start, clockTrusted: true)
        let holder = try f.store.addHolder(name: "Aino", profile: "visitor", email: "aino@example.fi", context)
        let number = try BadgeID(parsing: "1234567890")
        let badge = try f.store.assignBadge(number, to: holder.id, context)
        #expect(try f.store.credential(for: badge.fingerprint)?.badge.revoked == false)
        _ = try f.store.apply(.revokeBadge(number), context)
        #expect(try f.store.credential(for: badge.fingerprint)?.badge.revoked == true)
        #expect(throws: StoreError.self) { try f.store.assignBadge(number, to: holder.id, context) }
        let admin = try f.store.events().filter { $0.record.kind == .adminChange }
        #expect(admin.count == 3)
        #expect(admin.allSatisfy { $0.record.actor == "kaisa" })
        #expect(admin.map { $0.record.details ?? "" }.allSatisfy { !$0.contains("Aino") && !$0.contains("aino@") })
        #expect(try f.store.latestCheckpoint()?.seq == 3)
        #expect(try f.problem() == nil)
    }
}

@Suite("Readers never wait for each other or for the writer, nor the writer for them")
struct ConcurrentReadTests {
    @Test("while a long read is open (an auditor's page), the loop's reads and commits go ahead")
    func longReadDoesNotBlock() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let context = ChangeContext(actor: "kaisa", now: StoreFixture.start, clockTrusted: true)
        let holder = try f.store.addHolder(name: "Aino", profile: "staff", context)
        let badge = try f.store.assignBadge(try BadgeID(parsing: "12345678"), to: holder.id, context)
        try f.appendEvents(100)
        let inRead = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let reader = DispatchGroup()
        DispatchQueue.global().async(group: reader) {
            _ = try? f.store.database.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event")
                inRead.signal()
                _ = release.wait(timeout: .now() + 30)  // held open, as a slow page read would be
            }
        }
        #expect(inRead.wait(timeout: .now() + 10) == .success)
        // The decision loop's work, on another thread, must finish while that read is still open.
        let work = DispatchGroup()
        let done = Mutex(false)
        DispatchQueue.global().async(group: work) {
            do {
                _ = try f.store.credential(for: badge.fingerprint)
                _ = try f.store.append(EventRecord(time: StoreFixture.start, kind: .doorUnlocked, clockTrusted: true))
                done.withLock { $0 = true }
            } catch {}
        }
        let finished = work.wait(timeout: .now() + 10)
        release.signal()
        #expect(finished == .success && done.withLock { $0 }, "a read or a commit waited for the open read")
        reader.wait()
    }
}
