import Foundation
import LabDoorCore
import LabDoorStore
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Facilities staff's working day, run as the built `labdoorctl` against a running `labdoord` (simulated door,
/// FIFO reader): every command of the staff surface, its JSON, its exit status and its effect at the door.
@Suite("labdoorctl for facilities staff, against a running labdoord", .timeLimit(.minutes(5)))
struct StaffCommandTests {
    /// The holder id of a `holder add --format json`.
    static func addHolder(_ d: DaemonHarness, _ arguments: [String]) throws -> Int {
        let created = try object(try d.ctlOK(["holder", "add"] + arguments + ["--format", "json"]))
        return try #require(created["id"] as? Int)
    }

    @Test("holders: add, list with filters and pages, show, edit, suspend, resume, remove — in all formats")
    func holders() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        let aino = try Self.addHolder(
            d,
            [
                "--name", "Aino Äijälä-Öhman", "--profile", "visitor", "--org", "Valtiovarainministeriö", "--email",
                "aino@vm.fi",
            ])
        let ville = try Self.addHolder(d, ["--name", "Ville Virtanen", "--profile", "member"])
        let kaisa = try Self.addHolder(d, ["--name", "Kaisa Staff", "--profile", "staff", "--email", "kaisa@lab.fi"])
        let ids: [Int] = [aino, ville, kaisa]
        #expect(ids == [1, 2, 3])
        // The same e-mail twice is refused: imports match holders by it.
        let twice = try d.ctl(["holder", "add", "--name", "Other", "--profile", "visitor", "--email", "AINO@vm.fi"])
        #expect(twice.status == 1 && twice.stderr.contains("holder 1 already has this e-mail"), "\(twice.stderr)")

        let all = try array(try d.ctlOK(["holder", "list", "--format", "json"]))
        #expect(all.compactMap { $0["name"] as? String } == ["Aino Äijälä-Öhman", "Ville Virtanen", "Kaisa Staff"])
        #expect(
            Set(all[0].keys)
                == ["id", "name", "profile", "organisation", "email", "suspended", "created_at", "removed_at"])
        #expect((all[0]["created_at"] as? String)?.hasSuffix(":00") == true)  // site zone with its offset
        let csv = try d.ctlOK(["holder", "list", "--format", "csv", "--profile", "member"])
        #expect(csv == "ID,NAME,PROFILE,ORGANISATION,EMAIL,STATE\n2,Ville Virtanen,member,,,active\n")
        let found = try array(try d.ctlOK(["holder", "list", "--search", "MINISTERIÖ", "--format", "json"]))
        #expect(found.count == 0)  // case-insensitive for ASCII letters only; Ö is not folded
        let byMail = try array(try d.ctlOK(["holder", "list", "--search", "VM.FI", "--format", "json"]))
        #expect(byMail.compactMap { $0["id"] as? Int } == [1])
        // Pages: --limit and --after walk the list; a table has a header.
        let first = try array(try d.ctlOK(["holder", "list", "--limit", "2", "--format", "json"]))
        let rest = try array(try d.ctlOK(["holder", "list", "--after", "2", "--format", "json"]))
        #expect(first.compactMap { $0["id"] as? Int } == [1, 2] && rest.compactMap { $0["id"] as? Int } == [3])
        let table = try d.ctlOK(["holder", "list"])
        #expect(
            table.hasPrefix("ID  NAME") && table.contains("Aino Äijälä-Öhman")
                && table.split(separator: "\n").count == 4)

        let edited = try object(
            try d.ctlOK([
                "holder", "edit", "2", "--name", "Ville Väinämö", "--email", "ville@lab.fi", "--format", "json",
            ]))
        #expect(edited["name"] as? String == "Ville Väinämö" && edited["email"] as? String == "ville@lab.fi")
        let cleared = try object(try d.ctlOK(["holder", "edit", "2", "--email", "", "--format", "json"]))
        #expect(cleared["email"] is NSNull)
        let nothing = try d.ctl(["holder", "edit", "2"])
        #expect(nothing.status == 2 && nothing.stderr.contains("nothing to change"), "\(nothing.stderr)")
        let badProfile = try d.ctl(["holder", "edit", "2", "--profile", "vip"])
        #expect(badProfile.status == 2 && badProfile.stderr.contains("not configured"), "\(badProfile.stderr)")

        // Suspend and resume act on the next read.
        try d.ctlOK(["badge", "assign", "AA000001", "--holder", "3"])
        let suspended = try object(try d.ctlOK(["holder", "suspend", "3", "--format", "json"]))
        #expect(suspended["suspended"] as? Bool == true)
        #expect(try array(try d.ctlOK(["holder", "list", "--suspended", "--format", "json"])).count == 1)
        var seq = d.lastSeq
        try d.badge("AA000001")
        #expect(try d.waitForEvent(.badgeDecision, after: seq).record.reason == .holderSuspended)
        let again = try d.ctl(["holder", "suspend", "3"])
        #expect(again.status == 1 && again.stderr.contains("already suspended"), "\(again.stderr)")
        try d.ctlOK(["holder", "resume", "3"])
        seq = d.lastSeq
        try d.badge("AA000001")
        #expect(try d.waitForEvent(.badgeDecision, after: seq).record.reason == .granted)

        // Show: badges by last 4, registrations, last entry (site zone).
        try d.ctlOK(["registration", "add", "--holder", "1", "--from", "2027-01-04", "--until", "2027-01-08"])
        let shown = try object(try d.ctlOK(["holder", "show", "3", "--format", "json"]))
        #expect((shown["badges"] as? [[String: Any]])?.first?["last4"] as? String == "0001")
        #expect((shown["last_entry"] as? String)?.contains("T") == true)
        let shownText = try d.ctlOK(["holder", "show", "1"])
        #expect(shownText.contains("from 2027-01-04T00:00:00+02:00 until 2027-01-09T00:00:00+02:00"), "\(shownText)")
        #expect(shownText.contains("Last entry: never"))
        let missing = try d.ctl(["holder", "show", "99"])
        #expect(missing.status == 1 && missing.stderr.contains("holder 99"), "\(missing.stderr)")

        // Remove: badges revoked, gone from the list, kept (with the name) for the log.
        let removed = try object(try d.ctlOK(["holder", "remove", "3", "--format", "json"]))
        #expect(removed["erased"] as? Bool == false && removed["badges"] as? Int == 1)
        seq = d.lastSeq
        try d.badge("AA000001")
        #expect(try d.waitForEvent(.badgeDecision, after: seq).record.reason == .badgeRevoked)
        #expect(try array(try d.ctlOK(["holder", "list", "--format", "json"])).count == 2)
        let withRemoved = try array(try d.ctlOK(["holder", "list", "--removed", "--format", "json"]))
        #expect(withRemoved.count == 3 && withRemoved.last?["removed_at"] is String)
        let events = try d.ctlOK(["events", "--db", d.database, "--holder", "3"])
        #expect(events.contains("3 Kaisa Staff"), "\(events)")
        // Every change is the caller's admin_change, without names or e-mails.
        let admin = try d.events().filter { $0.record.kind == .adminChange }
        #expect(admin.allSatisfy { $0.record.actor == "root" })
        #expect(
            !admin.contains { ($0.record.details ?? "").contains("Aino") || ($0.record.details ?? "").contains("@") })
    }

    @Test("badges: list by holder, revoke by number or id, enrol the next read at a reader (door stays locked)")
    func badges() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        let holder = try Self.addHolder(d, ["--name", "Sanna Ojala", "--profile", "staff"])
        let assigned = try object(try d.ctlOK(["badge", "assign", "04:a2:3f:1b", "--holder", "1", "--format", "json"]))
        #expect(assigned["id"] as? Int == 1 && assigned["last4"] as? String == "3F1B")
        #expect(Set(assigned.keys) == ["id", "holder", "last4", "fingerprint", "assigned_at", "revoked", "revoked_at"])

        // Enrolment: the next read on "entry" becomes the badge; it is not decided and opens nothing.
        let enrol = Process()
        enrol.executableURL = Binaries.directory.appendingPathComponent("labdoorctl")
        enrol.arguments = [
            "--socket", d.socket, "badge", "assign", "--from-reader", "entry", "--holder", "\(holder)", "--timeout",
            "20s", "--format", "json",
        ]
        let out = Pipe()
        enrol.standardOutput = out
        try enrol.run()
        try d.waitFor("the daemon to wait for the enrolment read") { d.errors.contains("waiting for a badge to enrol") }
        let before = d.lastSeq
        try d.badge("CAFE0042")
        enrol.waitUntilExit()
        #expect(enrol.terminationStatus == 0)
        let enrolled = try object(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        #expect(enrolled["last4"] as? String == "0042" && enrolled["holder"] as? Int == holder)
        let after = try d.events().filter { $0.seq > before }
        #expect(after.map(\.record.kind) == [.badgeEnrolled, .adminChange])
        #expect(after[0].record.reader == "entry" && after[0].record.holderID == HolderID(rawValue: Int64(holder)))
        #expect(after[0].record.badge?.rawValue == enrolled["fingerprint"] as? String)
        #expect(!d.output.contains("relay=unlocked"))
        // The enrolled card now opens the door.
        try d.badge("CAFE0042")
        try d.waitForEvent(.badgeDecision, reason: .granted, after: before)

        // No card within the timeout: refused, nothing changed, the reader decides again.
        let timedOut = try d.ctl(["badge", "assign", "--from-reader", "entry", "--holder", "1", "--timeout", "1s"])
        #expect(timedOut.status == 1 && timedOut.stderr.contains("no badge was read on entry"), "\(timedOut.stderr)")
        let noReader = try d.ctl(["badge", "assign", "--from-reader", "exit", "--holder", "1"])
        #expect(noReader.status == 2 && noReader.stderr.contains("no reader exit"), "\(noReader.stderr)")
        // A card that is someone else's is not enrolled, and that is logged.
        let other = try Self.addHolder(d, ["--name", "Other", "--profile", "visitor"])
        let taken = Process()
        taken.executableURL = enrol.executableURL
        taken.arguments = [
            "--socket", d.socket, "badge", "assign", "--from-reader", "entry", "--holder", "\(other)", "--timeout",
            "20s",
        ]
        let takenErr = Pipe()
        taken.standardError = takenErr
        try taken.run()
        try d.waitFor("the second enrolment") {
            d.errors.components(separatedBy: "waiting for a badge to enrol").count - 1 == 3  // the third enrolment
        }
        try d.badge("CAFE0042")
        taken.waitUntilExit()
        #expect(taken.terminationStatus == 1)
        #expect(
            String(decoding: takenErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains(
                "already assigned to holder \(holder)"))
        try d.waitForEvent(.badgeEnrolmentFailed)

        let listed = try array(try d.ctlOK(["badge", "list", "--holder", "\(holder)", "--format", "json"]))
        #expect(listed.compactMap { $0["last4"] as? String } == ["3F1B", "0042"])
        let byID = try object(try d.ctlOK(["badge", "revoke", "--id", "2", "--format", "json"]))
        #expect(byID["revoked"] as? Bool == true && byID["revoked_at"] is String)
        let byNumber = try d.ctlOK(["badge", "revoke", "04A23F1B"])
        #expect(byNumber.contains("revoked badge 1 …3F1B"), "\(byNumber)")
        let twice = try d.ctl(["badge", "revoke", "--id", "2"])
        #expect(twice.status == 1 && twice.stderr.contains("already revoked"), "\(twice.stderr)")
        let reuse = try d.ctl(["badge", "assign", "CAFE0042", "--holder", "\(other)"])
        #expect(reuse.status == 1 && reuse.stderr.contains("never assigned again"), "\(reuse.stderr)")
        let table = try d.ctlOK(["badge", "list"])
        #expect(table.hasPrefix("ID  LAST4  HOLDER") && !table.contains("CAFE0042"))
    }

    @Test("registrations: add (a date alone ends with its day), list by holder and instant, remove")
    func registrations() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        _ = try Self.addHolder(d, ["--name", "Aino", "--profile", "visitor"])
        _ = try Self.addHolder(d, ["--name", "Ville", "--profile", "visitor"])
        let week = try object(
            try d.ctlOK([
                "registration", "add", "--holder", "1", "--from", "2027-01-04", "--until", "2027-01-08", "--format",
                "json",
            ]))
        #expect(week["id"] as? Int == 1)
        #expect(week["from"] as? String == "2027-01-04T00:00:00+02:00")
        #expect(week["until"] as? String == "2027-01-09T00:00:00+02:00")
        let twice = try d.ctl(["registration", "add", "--holder", "1", "--from", "2027-01-04", "--until", "2027-01-08"])
        #expect(
            twice.status == 1 && twice.stderr.contains("already has exactly this registration (registration 1)"),
            "\(twice.stderr)")
        let summer = try object(
            try d.ctlOK([
                "registration", "add", "--holder", "2", "--from", "2027-06-21T09:00", "--until", "2027-06-21T17:00",
                "--format", "json",
            ]))
        #expect(summer["from"] as? String == "2027-06-21T09:00:00+03:00")
        let gap = try d.ctl([
            "registration", "add", "--holder", "2", "--from", "2027-03-28T03:30", "--until", "2027-03-29",
        ])
        #expect(gap.status == 2 && gap.stderr.contains("+02:00") && gap.stderr.contains("+03:00"), "\(gap.stderr)")
        let active = try array(
            try d.ctlOK(["registration", "list", "--active-at", "2027-01-08T19:00", "--format", "json"]))
        #expect(active.compactMap { $0["id"] as? Int } == [1])
        let ville = try array(try d.ctlOK(["registration", "list", "--holder", "2", "--format", "json"]))
        #expect(ville.compactMap { $0["id"] as? Int } == [2])
        let removed = try object(try d.ctlOK(["registration", "remove", "1", "--format", "json"]))
        #expect(removed["id"] as? Int == 1)
        #expect(try array(try d.ctlOK(["registration", "list", "--format", "json"])).count == 1)
        let gone = try d.ctl(["registration", "remove", "1"])
        #expect(gone.status == 1 && gone.stderr.contains("registration 1"), "\(gone.stderr)")
    }

    @Test("a closure makes the next read closed_closure; hours set applies at once; hours show says where from")
    func hoursAtTheDoor() throws {
        let d = try DaemonHarness(extra: "[hours]\nholidays = \"none\"\n")
        defer { d.cleanUp() }
        try d.start()
        _ = try Self.addHolder(d, ["--name", "Aino", "--profile", "visitor"])
        try d.ctlOK(["badge", "assign", "BB000001", "--holder", "1"])
        try d.ctlOK(["registration", "add", "--holder", "1", "--from", "2020-01-01", "--until", "2099-01-01"])
        func decide() throws -> ReasonCode? {
            let seq = d.lastSeq
            try d.badge("BB000001")
            return try d.waitForEvent(.badgeDecision, after: seq).record.reason
        }
        // Closed every day, then open all day every day: each takes effect for the next read.
        for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] { try d.ctlOK(["hours", "set", day, "closed"]) }
        #expect(try decide() == .outsideOpeningHours)
        for day in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] {
            try d.ctlOK(["hours", "set", day, "00:00-12:00,12:00-24:00"])
        }
        #expect(try decide() == .granted)
        let shown = try object(try d.ctlOK(["hours", "show", "--format", "json"]))
        let days = try #require(shown["days"] as? [[String: Any]])
        #expect(
            days.count == 7
                && days.allSatisfy { $0["source"] as? String == "database" && $0["set_by"] as? String == "root" })
        #expect(days[0]["hours"] as? [String] == ["00:00-12:00", "12:00-24:00"])

        // A closure from yesterday through tomorrow (site zone): closed_closure, with its reason at the door.
        let zone = try #require(TimeZone(identifier: "Europe/Helsinki"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        func date(_ offset: Int) throws -> String {
            let day = try #require(calendar.date(byAdding: .day, value: offset, to: Date()))
            let c = calendar.dateComponents([.year, .month, .day], from: day)
            return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
        }
        let closure = try object(
            try d.ctlOK([
                "hours", "closure", "add", "--from", try date(-1), "--to", try date(1), "--reason", "water damage",
                "--format", "json",
            ]))
        #expect(closure["kind"] as? String == "closed" && closure["reason"] as? String == "water damage")
        #expect(try decide() == .closedClosure)
        let calendarDays = try array(
            try d.ctlOK(["hours", "calendar", "--from", try date(0), "--to", try date(0), "--format", "json"]))
        #expect(calendarDays.first?["reason"] as? String == "closed_closure")
        #expect(calendarDays.first?["note"] as? String == "water damage")
        let calendarCSV = try d.ctlOK([
            "hours", "calendar", "--from", try date(0), "--to", try date(0), "--format", "csv",
        ])
        #expect(calendarCSV.hasSuffix(",false,closed_closure,,,water damage\n"), "\(calendarCSV)")
        let special = try object(
            try d.ctlOK([
                "hours", "special", "add", "--date", try date(30), "--hours", "10:00-14:00", "--reason", "inventory",
                "--format", "json",
            ]))
        #expect(special["kind"] as? String == "hours" && special["hours"] as? [String] == ["10:00-14:00"])
        let listed = try array(try d.ctlOK(["hours", "closure", "list", "--format", "json"]))
        #expect(listed.compactMap { $0["id"] as? Int } == [1, 2])
        let later = try array(try d.ctlOK(["hours", "closure", "list", "--from", try date(2), "--format", "json"]))
        #expect(later.compactMap { $0["id"] as? Int } == [2])
        let removed = try object(try d.ctlOK(["hours", "closure", "remove", "1", "--format", "json"]))
        #expect(removed["id"] as? Int == 1)
        #expect(try decide() == .granted)

        // Reset: labdoor.toml's table again (Monday–Friday 07–20, weekends closed).
        let reset = try object(try d.ctlOK(["hours", "reset", "--format", "json"]))
        let resetDays = try #require(reset["days"] as? [[String: Any]])
        #expect(resetDays.allSatisfy { $0["source"] as? String == "config" })
        #expect(resetDays[5]["hours"] as? [String] == [])
        let badHours = try d.ctl(["hours", "set", "friday", "18:00-09:00"])
        #expect(badHours.status == 2 && badHours.stderr.contains("HH:MM-HH:MM"), "\(badHours.stderr)")
        let overlap = try d.ctl(["hours", "set", "friday", "07:00-12:00,11:00-20:00"])
        #expect(overlap.status == 2 && overlap.stderr.contains("overlap"), "\(overlap.stderr)")
        let table = try d.ctlOK(["hours", "show"])
        #expect(table.contains("Friday     07:00-20:00") && table.contains("labdoor.toml"), "\(table)")
        let admin = try d.events().filter { $0.record.kind == .adminChange }.compactMap(\.record.details)
        #expect(admin.contains { $0.contains("\"hours_set\"") } && admin.contains { $0.contains("\"hours_reset\"") })
        #expect(
            admin.contains { $0.contains("\"closure_add\"") } && admin.contains { $0.contains("\"special_hours_add\"") }
        )
    }

    @Test("check: the decision and why, at a time, exit 0 or 1; DST gaps refused; nothing logged; --db agrees")
    func check() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        _ = try Self.addHolder(d, ["--name", "Aino Virtanen", "--profile", "visitor"])
        try d.ctlOK(["badge", "assign", "00004321", "--holder", "1"])
        try d.ctlOK(["registration", "add", "--holder", "1", "--from", "2027-06-21", "--until", "2027-06-30"])
        let before = try d.events()
        let granted = try d.ctl(["check", "00004321", "--at", "2027-06-23T10:00", "--format", "json"])
        #expect(granted.status == 0, "\(granted.stderr)")
        let answer = try object(granted.stdout)
        #expect(
            Set(answer.keys) == ["badge_last4", "holder", "decision", "reason", "explanation", "at", "reader"])
        #expect(answer["badge_last4"] as? String == "4321" && answer["decision"] as? String == "granted")
        #expect((answer["holder"] as? [String: Any])?["name"] as? String == "Aino Virtanen")
        #expect(answer["at"] as? String == "2027-06-23T10:00:00+03:00")
        let midsummer = try d.ctl(["check", "00004321", "--at", "2027-06-25T10:00", "--format", "json"])
        #expect(midsummer.status == 1)
        #expect(try object(midsummer.stdout)["reason"] as? String == "closed_holiday")
        let expired = try d.ctl(["check", "00004321", "--at", "2027-07-01T10:00", "--reader", "entry"])
        #expect(expired.status == 1 && expired.stdout.contains("DENIED (registration_expired)"), "\(expired.stdout)")
        let unknown = try d.ctl(["check", "99990000", "--at", "2027-06-23T10:00", "--format", "json"])
        let unknownAnswer = try object(unknown.stdout)
        #expect(unknown.status == 1 && unknownAnswer["holder"] is NSNull)
        let gap = try d.ctl(["check", "00004321", "--at", "2027-03-28T03:30"])
        #expect(gap.status == 2 && gap.stderr.contains("2027-03-28T03:30+02:00"), "\(gap.stderr)")
        #expect(gap.stderr.contains("2027-03-28T03:30+03:00"))
        let fold = try d.ctl(["check", "00004321", "--at", "2027-10-31T03:30"])
        #expect(fold.status == 2 && fold.stderr.contains("happens twice"), "\(fold.stderr)")
        let badReader = try d.ctl(["check", "00004321", "--reader", "back"])
        #expect(badReader.status == 2 && badReader.stderr.contains("no reader back"))
        // It decided, but logged nothing and touched nothing.
        #expect(try d.events().count == before.count)
        #expect(!d.output.contains("relay=unlocked"))
        // Offline on the database file, with the badge secret beside it: the same answer.
        let offline = try d.ctl([
            "check", "00004321", "--at", "2027-06-23T10:00", "--format", "json", "--db", d.database, "--config",
            d.configPath,
        ])
        #expect(offline.status == 0, "\(offline.stderr)")
        #expect(try object(offline.stdout)["explanation"] as? String == answer["explanation"] as? String)
    }

    @Test("GDPR: export shows everything about a person; erase leaves no name or e-mail in labdoor.db or its WAL")
    func erase() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        let name = "Eeva Poistettava-Äkräs"
        let email = "eeva.poistettava@example.fi"
        let keep = try Self.addHolder(d, ["--name", "Kalle Pysyvä", "--profile", "staff"])
        let id = try Self.addHolder(
            d, ["--name", name, "--profile", "staff", "--org", "Poistoyhtiö Oy", "--email", email])
        try d.ctlOK(["holder", "edit", "\(id)", "--name", name])
        try d.ctlOK(["badge", "assign", "EE000001", "--holder", "\(id)"])
        try d.ctlOK(["registration", "add", "--holder", "\(id)", "--from", "2027-01-04", "--until", "2027-01-08"])
        let seq = d.lastSeq
        try d.badge("EE000001")
        try d.waitForEvent(.badgeDecision, reason: .granted, after: seq)

        let export = try object(try d.ctlOK(["holder", "export", "\(id)"]))
        #expect((export["holder"] as? [String: Any])?["email"] as? String == email)
        #expect((export["badges"] as? [[String: Any]])?.first?["last4"] as? String == "0001")
        #expect((export["registrations"] as? [[String: Any]])?.count == 1)
        let exported = try #require(export["events"] as? [[String: Any]])
        #expect(exported.contains { $0["kind"] as? String == "badge_decision" && $0["holder_name"] as? String == name })

        let refused = try d.ctl(["holder", "remove", "\(id)", "--erase"])  // stdin is not a terminal
        #expect(refused.status == 2 && refused.stderr.contains("--yes"), "\(refused.stderr)")
        let erased = try object(try d.ctlOK(["holder", "remove", "\(id)", "--erase", "--yes", "--format", "json"]))
        #expect(
            erased["erased"] as? Bool == true && erased["badges"] as? Int == 1 && erased["registrations"] as? Int == 1)

        for file in [d.database, d.database + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            for secret in [name, email, "Poistoyhtiö", "eeva.poistettava"] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is still in \(file)")
            }
        }
        let kept = try Data(contentsOf: URL(fileURLWithPath: d.database))
        #expect(kept.range(of: Data("Kalle Pysyvä".utf8)) != nil)  // the search itself works
        let verify = try Binaries.run("labdoorctl", ["audit", "verify", "--db", d.database])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let events = try d.ctlOK(["events", "--db", d.database, "--holder", "\(id)", "--format", "json"])
        #expect(events.contains("\"holder_name\":\"erased #\(id)\""), "\(events)")
        let admin = try d.events().filter { $0.record.kind == .adminChange }.last
        #expect(admin?.record.details == "{\"action\":\"holder_erase\",\"holder\":\(id)}")
        let gone = try d.ctl(["holder", "show", "\(id)"])
        #expect(gone.status == 1)
        #expect(try object(try d.ctlOK(["holder", "show", "\(keep)", "--format", "json"]))["holder"] != nil)
        // The card is free again: its row went with the holder.
        try d.ctlOK(["badge", "assign", "EE000001", "--holder", "\(keep)"])
    }

    @Test(
        "callers: in no group refused naming the groups (4); an auditor may read, not change; staff changes are theirs",
        .enabled(if: getuid() == 0))
    func callers() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: d.dir.path)
        let (ctl, binaries) = try Binaries.copyForAnyUser("labdoorctl")
        defer { try? FileManager.default.removeItem(at: binaries) }
        let users = try TemporaryUsers()
        defer { users.remove() }
        let staff = try users.add(group: "labdoor-admin")
        let auditor = try users.add(group: "labdoor-audit")
        func run(_ user: String, _ arguments: [String]) throws -> Binaries.Result {
            try Binaries.run(
                "/usr/sbin/runuser", ["-u", user, "--", ctl, "--socket", d.socket] + arguments, absolute: true)
        }
        let nobody = try run("nobody", ["holder", "list"])
        #expect(
            nobody.status == 4 && nobody.stderr.contains("labdoor-admin") && nobody.stderr.contains("labdoor-audit"))
        let added = try run(staff, ["holder", "add", "--name", "Aino", "--profile", "visitor", "--format", "json"])
        #expect(added.status == 0, "\(added.stderr)")
        let read = try run(auditor, ["holder", "list", "--format", "json"])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(try array(read.stdout).count == 1)
        let change = try run(auditor, ["holder", "suspend", "1"])
        #expect(change.status == 4 && change.stderr.contains("add them to labdoor-admin"), "\(change.stderr)")
        let suspended = try run(staff, ["holder", "suspend", "1"])
        #expect(suspended.status == 0, "\(suspended.stderr)")
        let admin = try d.events().filter { $0.record.kind == .adminChange }
        #expect(admin.map(\.record.actor) == [staff, staff])
        #expect(admin.last?.record.details?.contains("holder_suspend") == true)
    }
}

/// Users made for one test (groups made if missing), removed afterwards.
final class TemporaryUsers: Sendable {
    private let made = Mutex<[String]>([])
    private let madeGroups = Mutex<[String]>([])

    init() throws {}

    /// A new user in `group`; returns the name.
    func add(group: String) throws -> String {
        if try Binaries.run("/usr/bin/getent", ["group", group], absolute: true).status != 0 {
            let created = try Binaries.run("/usr/sbin/groupadd", [group], absolute: true)
            guard created.status == 0 else { throw HarnessError(message: "groupadd \(group): \(created.stderr)") }
            madeGroups.withLock { $0.append(group) }
        }
        let name = "ldt" + String(UUID().uuidString.prefix(8)).lowercased()
        let result = try Binaries.run(
            "/usr/sbin/useradd", ["-M", "-N", "-g", "nogroup", "-G", group, "-s", "/usr/sbin/nologin", name],
            absolute: true)
        guard result.status == 0 else { throw HarnessError(message: "useradd \(name): \(result.stderr)") }
        made.withLock { $0.append(name) }
        return name
    }

    func remove() {
        for user in made.withLock({ $0 }) { _ = try? Binaries.run("/usr/sbin/userdel", [user], absolute: true) }
        for group in madeGroups.withLock({ $0 }) {
            _ = try? Binaries.run("/usr/sbin/groupdel", [group], absolute: true)
        }
    }
}

/// A JSON object printed by labdoorctl.
func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not an object: \(text)")
}

/// A JSON array of objects printed by labdoorctl.
func array(_ text: String) throws -> [[String: Any]] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "not an array: \(text)")
}
