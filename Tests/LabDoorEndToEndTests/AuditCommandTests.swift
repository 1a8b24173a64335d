import Foundation
import GRDB
import LabDoorCore
import Testing

@Suite("labdoorctl events and audit, run as binaries on a sample database", .timeLimit(.minutes(3)))
struct AuditCommandTests {
    /// A state directory with the sample site written by labdoor-logwriter.
    struct Site {
        let dir: URL
        var db: String { dir.appendingPathComponent("labdoor.db").path }

        init() throws {
            dir = try Binaries.temporaryDirectory()
            let result = try Binaries.run("labdoor-logwriter", ["sample", dir.path])
            guard result.status == 0 else { throw Binaries.MissingBinary(path: "sample site: \(result.stderr)") }
        }

        func ctl(_ arguments: [String]) throws -> Binaries.Result {
            try Binaries.run("labdoorctl", arguments + ["--db", db])
        }

        func write(_ name: String, _ text: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func cleanUp() { try? FileManager.default.removeItem(at: dir) }
    }

    @Test("events are filtered and printed as table, JSON and CSV")
    func events() throws {
        let site = try Site()
        defer { site.cleanUp() }
        let all = try site.ctl(["events", "--format", "json"])
        #expect(all.status == 0, "\(all.stderr)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])
        #expect(objects.count == 10)
        // The log's 13 columns, and the holder's name joined in (holder_name).
        #expect(objects.first?.keys.count == 14)
        #expect(objects.allSatisfy { $0.keys.contains("holder_name") })

        let denied = try site.ctl(["events", "--outcome", "denied", "--format", "csv"])
        let rows = denied.stdout.split(separator: "\n")
        #expect(
            rows.first
                == "seq,time,kind,reader,badge,holder,holder_name,outcome,reason,actor,details,clock_trusted,prev_hash,hash"
        )
        #expect(rows.count == 4)
        #expect(rows.dropFirst().allSatisfy { $0.contains(",denied,") })

        // Local times in the site zone: 09:00 Helsinki is 07:00 UTC.
        let window = try site.ctl([
            "events", "--since", "2025-01-07T09:00", "--until", "2025-01-07T12:00", "--format", "csv",
        ])
        #expect(
            window.stdout.split(separator: "\n").dropFirst().map { $0.prefix(26) } == [
                "7,2025-01-07T07:15:00.000Z", "8,2025-01-07T08:00:00.000Z",
            ])
        let byReason = try site.ctl(["events", "--reason", "unknown_badge"])
        #expect(byReason.stdout.contains("unknown_badge") && byReason.stdout.split(separator: "\n").count == 2)
        let table = try site.ctl(["events", "--holder", "1", "--limit", "2"])
        #expect(table.stdout.split(separator: "\n").count == 3)
        #expect(table.stdout.contains("2025-01-07 18:30:00"))

        let bad = try site.ctl(["events", "--reason", "because"])
        #expect(bad.status != 0 && bad.stderr.contains("not a reason code"))
        let badTime = try site.ctl(["events", "--since", "2027-03-28T03:30"])
        #expect(
            badTime.status != 0 && badTime.stderr.contains("does not exist in Europe/Helsinki"), "\(badTime.stderr)")
    }

    @Test("audit verify: 0 and a summary when intact, 1 and the first bad seq when edited, 2 when it cannot check")
    func verifyExitCodes() throws {
        let site = try Site()
        defer { site.cleanUp() }
        let pubkey = try site.write("site.pub", try site.ctl(["audit", "pubkey"]).stdout)
        let kept = try site.write("kept.checkpoint", try site.ctl(["audit", "checkpoint"]).stdout)
        let ok = try site.ctl(["audit", "verify", "--pubkey", pubkey, "--checkpoint", kept])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("OK: 10 events (seq 1–10)"))

        let queue = try DatabaseQueue(path: site.db)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only")
            try db.execute(sql: "UPDATE event SET reason = 'granted', outcome = 'granted' WHERE seq = 8")
        }
        let tampered = try site.ctl(["audit", "verify", "--pubkey", pubkey])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.hasPrefix("FAILED: seq 8: "), "\(tampered.stderr)")

        let garbageKey = try site.write("bad.pub", "not a key")
        let cannot = try site.ctl(["audit", "verify", "--pubkey", garbageKey])
        #expect(cannot.status == 2 && cannot.stderr.contains("not a LabDoor public key"))
        let missing = try Binaries.run("labdoorctl", ["audit", "verify", "--db", "/nonexistent/labdoor.db"])
        #expect(missing.status == 2 && missing.stderr.contains("does not exist"))
    }

    @Test("audit export writes everything needed to re-verify; purge keeps the rest verifiable")
    func exportAndPurge() throws {
        let site = try Site()
        defer { site.cleanUp() }
        let export = try site.ctl(["audit", "export", "--format", "json"])
        #expect(export.status == 0, "\(export.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any])
        #expect((object["events"] as? [Any])?.count == 10)
        #expect((object["checkpoints"] as? [Any])?.isEmpty == false)
        #expect((object["public_key"] as? String)?.hasPrefix("labdoor-pubkey-v1 ed25519 ") == true)

        // A purge is a change: labdoord does it (for an admin, logged with their name), never labdoorctl itself.
        let offline = try site.ctl(["audit", "purge", "--before", "2025-01-07", "--socket", site.dir.path + "/none"])
        #expect(offline.status == 3 && offline.stderr.contains("labdoord is not running"), "\(offline.stderr)")
        let d = try DaemonHarness(state: site.dir)
        defer { d.cleanUp() }
        try d.start()  // logs daemon_started as seq 11
        let purge = try d.ctl(["audit", "purge", "--before", "2025-01-07"])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(purge.stdout.hasPrefix("purged 5 events before 2025-01-07T00:00:00+02:00"), "\(purge.stdout)")
        let purged = try #require(try d.events().last { $0.record.kind == .logPurged })
        #expect(purged.record.actor == "root")
        #expect(
            purged.record.details?.contains(#""removed":5,"anchor_seq":5"#) == true, "\(purged.record.details ?? "")")
        #expect(try d.stop() == 0)
        // What remains: seq 6–10 from the sample, then the daemon's own events (start, reader, purge, stop).
        let remaining = try d.events()
        let lastSeq = try #require(remaining.last).seq
        #expect(remaining.first?.seq == 6 && remaining.count == Int(lastSeq) - 5)
        let verify = try site.ctl(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(
            verify.stdout.hasPrefix("OK: \(remaining.count) events (seq 6–\(lastSeq))"),
            "\(verify.stdout)")
    }

    @Test(
        "an auditor without write access verifies a copy in a read-only directory, leaving no files behind",
        .enabled(if: getuid() == 0))
    func readOnlyCopy() throws {
        let site = try Site()
        defer { site.cleanUp() }
        let copyDir = site.dir.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: copyDir, withIntermediateDirectories: true)
        let copy = copyDir.appendingPathComponent("labdoor.db").path
        try FileManager.default.copyItem(atPath: site.db, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: copyDir.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: site.dir.path)
        let (ctl, binaries) = try Binaries.copyForAnyUser("labdoorctl")
        defer { try? FileManager.default.removeItem(at: binaries) }
        let result = try Binaries.run(
            "/usr/sbin/runuser", ["-u", "nobody", "--", ctl, "audit", "verify", "--db", copy], absolute: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("OK: 10 events"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: copyDir.path) == ["labdoor.db"])
    }

    @Test("the calendar shows the database's closures")
    func calendarWithClosures() throws {
        let site = try Site()
        defer { site.cleanUp() }
        try DatabaseQueue(path: site.db).write { db in
            try db.execute(
                sql:
                    "INSERT INTO calendar_override (first_day, last_day, kind, hours, reason) VALUES ('2025-01-08', '2025-01-08', 'closed', '', 'floor maintenance')"
            )
        }
        let result = try site.ctl([
            "hours", "calendar", "--from", "2025-01-08", "--to", "2025-01-08", "--format", "json",
        ])
        #expect(
            result.stdout.contains(
                #"{"date":"2025-01-08","weekday":"Wed","open":false,"reason":"closed_closure","holiday":null,"hours":[],"note":"floor maintenance"}"#
            ), "\(result.stdout)")
    }
}
