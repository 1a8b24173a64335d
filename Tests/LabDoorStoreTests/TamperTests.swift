import Crypto
import Foundation
import GRDB
import LabDoorCore
import LabDoorStore
import Testing

/// Each way an attacker with write access to labdoor.db could change the record, and the seq `audit verify`
/// names for it.
@Suite("Tamper evidence")
struct TamperTests {
    /// A log of 250 events with checkpoints at 100 and 200, the 42nd event being tampered with.
    func fixture() throws -> StoreFixture {
        let f = try StoreFixture()
        try f.appendEvents(250)
        return f
    }

    @Test(
        "one changed byte in any column is found at its seq",
        arguments: [
            "time", "kind", "reader", "badge", "holder_id", "outcome", "reason", "actor", "details", "clock_trusted",
            "prev_hash", "hash",
        ])
    func changedByte(column: String) throws {
        let f = try fixture()
        defer { f.cleanUp() }
        try f.tamper { db in
            let value = try DatabaseValue.fetchOne(db, sql: "SELECT \(column) FROM event WHERE seq = 42") ?? .null
            let changed: DatabaseValue =
                switch value.storage {
                case .null: "x".databaseValue
                case .int64(let n): (n ^ 1).databaseValue
                case .string(let s):
                    // Flip one bit of the last byte, keeping valid UTF-8 (ASCII stays ASCII).
                    String(decoding: Array(s.utf8.dropLast()) + [(s.utf8.last ?? 0x41) ^ 0x01], as: UTF8.self)
                        .databaseValue
                default: "x".databaseValue
                }
            try db.execute(sql: "UPDATE event SET \(column) = ? WHERE seq = 42", arguments: [changed])
        }
        let problem = try #require(try f.problem())
        #expect(problem.seq == 42, "\(problem)")
    }

    @Test("a value replaced by the same bytes of another type is found (the text 'entry' → a blob 'entry')")
    func changedType() throws {
        let f = try fixture()
        defer { f.cleanUp() }
        // Column affinity turns '6' back into 6 in an INTEGER column, but a BLOB keeps its type.
        try f.tamper { db in try db.execute(sql: "UPDATE event SET reader = CAST(reader AS BLOB) WHERE seq = 42") }
        #expect(try f.problem()?.seq == 42)
    }

    @Test("a deleted row is found at its seq")
    func deletedRow() throws {
        let f = try fixture()
        defer { f.cleanUp() }
        try f.tamper { db in try db.execute(sql: "DELETE FROM event WHERE seq = 42") }
        let problem = try #require(try f.problem())
        #expect(problem.seq == 42)
        #expect(problem.message.contains("missing"))
    }

    @Test("an inserted row is found: a naive one at its seq, a well-forged one at the row it displaced")
    func insertedRow() throws {
        let naive = try fixture()
        defer { naive.cleanUp() }
        try naive.tamper { db in
            try db.execute(sql: "UPDATE event SET seq = seq + 1000000 WHERE seq >= 42")
            try db.execute(sql: "UPDATE event SET seq = seq - 999999 WHERE seq >= 1000000")
            try db.execute(
                sql: """
                    INSERT INTO event (seq, time, kind, clock_trusted, prev_hash, hash)
                    VALUES (42, '2027-01-04T07:00:00.000Z', 'badge_decision', 1, ?, ?)
                    """,
                arguments: [String(repeating: "a", count: 64), String(repeating: "b", count: 64)])
        }
        #expect(try naive.problem()?.seq == 42)

        // An attacker who knows the encoding forges row 42 with a valid hash chained to row 41: the row it
        // displaced (now 43) no longer matches its hash, which covers its seq.
        let forged = try fixture()
        defer { forged.cleanUp() }
        try forged.tamper { db in
            let prev = try String.fetchOne(db, sql: "SELECT hash FROM event WHERE seq = 41") ?? ""
            try db.execute(sql: "UPDATE event SET seq = seq + 1000000 WHERE seq >= 42")
            try db.execute(sql: "UPDATE event SET seq = seq - 999999 WHERE seq >= 1000000")
            let values: [DatabaseValue] = [
                42.databaseValue, "2027-01-04T07:00:00.000Z".databaseValue, "badge_decision".databaseValue, .null,
                .null,
                .null, "granted".databaseValue, "granted".databaseValue, .null, .null, 1.databaseValue,
                prev.databaseValue,
            ]
            let hash = Self.eventHash(values)
            try db.execute(
                sql: """
                    INSERT INTO event (seq, time, kind, reader, badge, holder_id, outcome, reason, actor, details,
                        clock_trusted, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments(values + [hash.databaseValue]))
        }
        #expect(try forged.problem()?.seq == 43)
    }

    @Test("two swapped rows are found at the first of them")
    func swappedRows() throws {
        let f = try fixture()
        defer { f.cleanUp() }
        try f.tamper { db in
            try db.execute(sql: "UPDATE event SET seq = -1 WHERE seq = 42")
            try db.execute(sql: "UPDATE event SET seq = 42 WHERE seq = 43")
            try db.execute(sql: "UPDATE event SET seq = 43 WHERE seq = -1")
        }
        #expect(try f.problem()?.seq == 42)
    }

    @Test("a truncated tail is found against a checkpoint the auditor kept, and against a remaining checkpoint")
    func truncatedTail() throws {
        let f = try fixture()
        defer { f.cleanUp() }
        let kept = try #require(try f.store.checkpoint(kind: .manual, now: StoreFixture.start))
        #expect(kept.seq == 250)
        // The attacker removes the tail and every checkpoint that mentions it.
        try f.tamper { db in
            try db.execute(sql: "DELETE FROM event WHERE seq > 180")
            try db.execute(sql: "DELETE FROM checkpoint WHERE seq > 180")
        }
        #expect(try f.problem() == nil)  // without the kept checkpoint, nothing on the device shows it
        let problem = try #require(try f.problem(kept: kept))
        #expect(problem.seq == 181)
        #expect(problem.message.contains("truncated"))

        // A careless attacker who leaves the checkpoints is caught without a kept checkpoint.
        let g = try fixture()
        defer { g.cleanUp() }
        try g.tamper { db in try db.execute(sql: "DELETE FROM event WHERE seq > 150") }
        #expect(try g.problem()?.seq == 151)
    }

    @Test("a log re-signed with another key fails against the site's public key")
    func resigned() throws {
        let f = try fixture()
        defer { f.cleanUp() }
        let siteKey = try f.store.publicKey()
        // The attacker rewrites event 42, recomputes the chain, and re-signs every checkpoint with their own key.
        let attacker = Curve25519.Signing.PrivateKey()
        let attackerKey = LogPublicKey(rawRepresentation: attacker.publicKey.rawRepresentation)
        try f.tamper { db in
            try db.execute(sql: "UPDATE event SET details = 'nothing happened' WHERE seq = 42")
            var prev = try String.fetchOne(db, sql: "SELECT hash FROM event WHERE seq = 41") ?? ""
            for seq in 42...250 {
                try db.execute(sql: "UPDATE event SET prev_hash = ? WHERE seq = ?", arguments: [prev, seq])
                let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM event WHERE seq = ?", arguments: [seq]))
                let columns = [
                    "seq", "time", "kind", "reader", "badge", "holder_id", "outcome", "reason", "actor", "details",
                    "clock_trusted", "prev_hash",
                ]
                prev = Self.eventHash(columns.map { row[$0] as DatabaseValue })
                try db.execute(sql: "UPDATE event SET hash = ? WHERE seq = ?", arguments: [prev, seq])
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM checkpoint") {
                let seq: Int64 = row["seq"]
                let hash = try String.fetchOne(db, sql: "SELECT hash FROM event WHERE seq = ?", arguments: [seq]) ?? ""
                let checkpoint = Checkpoint(
                    seq: seq, hash: hash, time: row["time"], kind: .periodic, keyID: attackerKey.keyID,
                    signature: Data())
                let signature = try attacker.signature(for: Self.checkpointPayload(checkpoint))
                try db.execute(
                    sql: "UPDATE checkpoint SET hash = ?, key_id = ?, signature = ? WHERE seq = ?",
                    arguments: [hash, attackerKey.keyID, signature.base64EncodedString(), seq])
            }
            try db.execute(sql: "DELETE FROM signing_key")
            try db.execute(
                sql: "INSERT INTO signing_key (key_id, public_key, created_at) VALUES (?, ?, '')",
                arguments: [attackerKey.keyID, attackerKey.description])
        }
        let problem = try #require(try f.problem(publicKey: siteKey))
        #expect(problem.seq == 100)
        #expect(problem.message.contains("signature does not verify"))
        // With only the key the database itself carries, the forgery is consistent: that is why auditors keep
        // the public key (`audit pubkey`) off the device.
        #expect(try f.problem(publicKey: attackerKey) == nil)
    }

    // The canonical encoding, re-implemented here from docs/audit.md, as an auditor would.
    static func encode(_ tag: String, _ values: [DatabaseValue]) -> Data {
        var out = Data(tag.utf8)
        for value in values {
            switch value.storage {
            case .null: out.append(contentsOf: Array("~".utf8))
            case .int64(let n): out.append(contentsOf: Array("i\(n);".utf8))
            case .string(let s): out.append(contentsOf: Array("s\(s.utf8.count):\(s)".utf8))
            case .double(let x): out.append(contentsOf: Array("r\(x);".utf8))
            case .blob(let d): out.append(contentsOf: Array("b\(d.count):".utf8) + d)
            }
        }
        return out
    }

    static func eventHash(_ values: [DatabaseValue]) -> String {
        SHA256.hash(data: encode("LDE1", values)).map { String(format: "%02x", $0) }.joined()
    }

    static func checkpointPayload(_ c: Checkpoint) -> Data {
        encode(
            "LDC1",
            [
                c.seq.databaseValue, c.hash.databaseValue, c.time.databaseValue, c.kind.rawValue.databaseValue,
                c.keyID.databaseValue,
            ])
    }
}

@Suite("Stored text: control characters at the boundary, every bad seq reported")
struct StoredTextTests {
    @Test("control characters in event text are escaped before hashing, so the untampered log verifies")
    func controlCharactersInEvents() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(3)
        let odd = try f.store.append(
            EventRecord(
                time: StoreFixture.start, kind: .readerInputRejected, reader: "en\u{0}try", actor: "x\u{7}",
                details: "not a badge number: \"\u{0}\" at 3; \u{1B}[31mred\u{1B}[0m; tab\there; DEL\u{7F}; C1\u{9B}",
                clockTrusted: true))
        try f.appendEvents(3, from: 10)
        #expect(try f.problem() == nil)
        let stored = try #require(try f.store.events().first { $0.seq == odd.seq })
        #expect(stored.record.reader == "en\\u{0}try" && stored.record.actor == "x\\u{7}")
        #expect(
            stored.record.details
                == "not a badge number: \"\\u{0}\" at 3; \\u{1B}[31mred\\u{1B}[0m; tab\\u{9}here; DEL\\u{7F}; C1\\u{9B}"
        )
        #expect(stored == odd, "the event as returned by append is the event as stored")
    }

    @Test("control characters in a holder's name, organisation or e-mail are refused, never cut")
    func controlCharactersInRegistry() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let context = ChangeContext(actor: "kaisa", now: StoreFixture.start, clockTrusted: true)
        for (name, organisation, email) in [
            ("Ai\u{0}no", nil, nil), ("Aino", "VM\u{1B}[2J", nil), ("Aino", nil, "aino@vm.fi\u{0}evil"),
        ] as [(String, String?, String?)] {
            #expect(throws: StoreError.self) {
                try f.store.addHolder(name: name, profile: "visitor", organisation: organisation, email: email, context)
            }
        }
        #expect(try f.store.holders().isEmpty)
        let reason = CalendarOverride(
            firstDay: LocalDate(year: 2027, month: 1, day: 5)!, lastDay: LocalDate(year: 2027, month: 1, day: 5)!,
            kind: .closed(reason: "staff\u{0}day"))
        #expect(throws: StoreError.self) { try f.store.apply(.addOverride(reason), context) }
    }

    @Test("verify reports every bad seq, the first one first")
    func everyBadSeq() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        try f.appendEvents(250)
        try f.tamper { db in
            try db.execute(sql: "UPDATE event SET details = 'edited' WHERE seq IN (42, 180)")
            try db.execute(sql: "DELETE FROM event WHERE seq = 120")
        }
        let problems = try f.problems()
        #expect(problems.first?.seq == 42, "\(problems)")
        #expect(Set(problems.map(\.seq)).isSuperset(of: [42, 120, 180]), "\(problems)")
    }
}
