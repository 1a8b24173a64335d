import Foundation
import LabDoorCore
import LabDoorStore
import Testing

/// `registration import` (DESIGN.md, "Registration import (CSV)"), run as the built labdoorctl against a running
/// labdoord.
@Suite("labdoorctl registration import", .timeLimit(.minutes(5)))
struct RegistrationImportTests {
    static let valid = """
        email,name,organisation,from,until
        aino.virtanen@vm.fi,Aino Virtanen,Valtiovarainministeriö,2027-01-04,2027-01-08
        sanna.ojala@senaatti.fi,Sanna Ojala,Senaatti-kiinteistöt,2027-01-05T09:00,2027-01-05T17:00
        jyrki.aijala@vm.fi,Jyrki Äijälä,,2027-01-11,2027-01-11

        """

    /// Writes `text` to a file in the harness's directory; returns its path.
    static func file(_ d: DaemonHarness, _ name: String, _ text: String) throws -> String {
        let path = d.dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// How many holders, registrations and events there are, to see that nothing changed.
    struct Counts: Equatable {
        let holders: Int
        let registrations: Int
        let events: Int
    }

    static func state(_ d: DaemonHarness) throws -> Counts {
        let store = try LabDoorStore(readOnlyPath: d.database)
        return Counts(
            holders: try store.holders().count, registrations: try store.registrations().count,
            events: try store.events().count)
    }

    @Test("a valid file: holders created by e-mail, Finnish names intact, one admin_change with counts only")
    func validFile() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        // An existing holder is matched by e-mail, whatever its case; the file's name does not replace theirs.
        try d.ctlOK(["holder", "add", "--name", "Aino V.", "--profile", "member", "--email", "Aino.Virtanen@VM.fi"])
        let path = try Self.file(d, "bookings.csv", Self.valid)
        let result = try object(try d.ctlOK(["registration", "import", path, "--format", "json"]))
        #expect(result["dry_run"] as? Bool == false && result["rows"] as? Int == 3 && result["added"] as? Int == 3)
        let created = try #require(result["new_holders"] as? [[String: Any]])
        #expect(created.compactMap { $0["email"] as? String } == ["sanna.ojala@senaatti.fi", "jyrki.aijala@vm.fi"])
        #expect(created.compactMap { $0["id"] as? Int } == [2, 3])
        let holders = try array(try d.ctlOK(["holder", "list", "--format", "json"]))
        #expect(holders.compactMap { $0["name"] as? String } == ["Aino V.", "Sanna Ojala", "Jyrki Äijälä"])
        #expect(
            holders[1]["organisation"] as? String == "Senaatti-kiinteistöt"
                && holders[1]["profile"] as? String == "visitor")
        #expect(holders[2]["organisation"] is NSNull)
        let registrations = try array(try d.ctlOK(["registration", "list", "--format", "json"]))
        #expect(
            registrations.map { "\($0["holder"] ?? "") \($0["from"] ?? "") \($0["until"] ?? "")" } == [
                "1 2027-01-04T00:00:00+02:00 2027-01-09T00:00:00+02:00",
                "2 2027-01-05T09:00:00+02:00 2027-01-05T17:00:00+02:00",
                "3 2027-01-11T00:00:00+02:00 2027-01-12T00:00:00+02:00",
            ])
        let admin = try #require(try d.events().last { $0.record.kind == .adminChange })
        #expect(admin.record.actor == "root")
        #expect(
            admin.record.details
                == #"{"action":"registration_import","rows":3,"holders_created":2,"registrations_added":3,"duplicates_skipped":0,"overlaps":0}"#
        )
        let table = try d.ctlOK(["registration", "import", path])
        #expect(table.contains("3 rows, 0 registrations added") && table.contains("3 duplicates skipped"), "\(table)")
    }

    @Test("three bad lines: every one reported with its line and what to fix, nothing applied")
    func badLines() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        let text = """
            email,name,from,until
            ok@vm.fi,Ok Person,2027-01-04,2027-01-05
            not-an-email,Bad Mail,2027-01-04,2027-01-05
            ok2@vm.fi,Ok Two,2027-01-04,2027-01-05
            late@vm.fi,Late,2027-01-08,2027-01-04
            ok3@vm.fi,Ok Three,2027-01-04,2027-01-05
            when@vm.fi,When,2027-13-01,2027-01-05

            """
        let before = try Self.state(d)
        let result = try d.ctl(["registration", "import", try Self.file(d, "bad.csv", text)])
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stderr.contains("3 problems"), "\(result.stderr)")
        #expect(result.stderr.contains("line 3: \"not-an-email\" is not an e-mail address"))
        #expect(result.stderr.contains("line 5: until (2027-01-04) must be after from (2027-01-08)"))
        #expect(result.stderr.contains("line 7: from: \"2027-13-01\" is not a time"))
        #expect(result.stderr.contains("nothing changed"))
        let unchanged = try Self.state(d)
        #expect(unchanged == before)
        // The header is checked too: unknown and missing columns.
        let header = try d.ctl([
            "registration", "import", try Self.file(d, "header.csv", "email,phone,from\na@b.fi,123,2027-01-04\n"),
        ])
        #expect(header.status == 2)
        #expect(header.stderr.contains("unknown column \"phone\"") && header.stderr.contains("--ignore-column phone"))
        #expect(header.stderr.contains("the header lacks name, until"), "\(header.stderr)")
        let ignored = try d.ctl([
            "registration", "import",
            try Self.file(d, "phone.csv", "email,name,phone,from,until\na@b.fi,A,123,2027-01-04,2027-01-05\n"),
            "--ignore-column", "phone",
        ])
        #expect(ignored.status == 0, "\(ignored.stderr)")
        let unclosed = try d.ctl([
            "registration", "import",
            try Self.file(d, "quote.csv", "email,name,from,until\na@b.fi,\"A,2027-01-04,2027-01-05\n"),
        ])
        #expect(
            unclosed.status == 2 && unclosed.stderr.contains("line 2: a quoted field is not closed"),
            "\(unclosed.stderr)")
        let notUTF8 = d.dir.appendingPathComponent("latin1.csv")
        // "Järvi" saved as Latin-1: ä is the single byte E4.
        let latin1 = Array("email,name,from,until\na@b.fi,J".utf8) + [0xE4] + Array("rvi,2027-01-04,2027-01-05\n".utf8)
        try Data(latin1).write(to: notUTF8)
        let encoding = try d.ctl(["registration", "import", notUTF8.path])
        #expect(encoding.status == 2 && encoding.stderr.contains("not UTF-8"), "\(encoding.stderr)")
    }

    @Test("a BOM and CRLF line ends, quoted fields with commas, quotes and line breaks")
    func bomCRLFQuotes() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        // As a spreadsheet saves it: a BOM, CRLF, capitalised headers, a notes column with a line break inside
        // quotes (so records and lines differ), and a bad record after it.
        let text =
            "\u{FEFF}Email,Name,Organisation,From,Until,Notes\r\n"
            + "aino@vm.fi,\"Virtanen, Aino\",\"Valtiovarainministeriö, \"\"VM\"\"\",2027-01-04,2027-01-08,\r\n"
            + "sanna@senaatti.fi,Sanna Ojala,Senaatti,2027-01-05T09:00+02:00,2027-01-05T17:00Z,\"arrives late\r\nparks in B\"\r\n"
            + "bad@x,Bad,,2027-01-05,2027-01-06,\r\n"
        let path = try Self.file(d, "excel.csv", text)
        let result = try d.ctl(["registration", "import", path, "--ignore-column", "notes"])
        // The record with a line break inside quotes starts on line 3; the bad one is on line 5.
        #expect(
            result.status == 2 && result.stderr.contains("line 5: \"bad@x\" is not an e-mail address"),
            "\(result.stderr)")
        // A line break in a name is refused, naming the line.
        let broken = try d.ctl([
            "registration", "import",
            try Self.file(
                d, "name.csv", "email,name,from,until\r\na@b.fi,\"Ojala\r\nSanna\",2027-01-04,2027-01-05\r\n"),
        ])
        #expect(
            broken.status == 2 && broken.stderr.contains("line 2: the name contains a control character"),
            "\(broken.stderr)")
        let fixed = text.replacingOccurrences(of: "bad@x,Bad,,2027-01-05,2027-01-06,\r\n", with: "")
        let imported = try object(
            try d.ctlOK([
                "registration", "import", try Self.file(d, "fixed.csv", fixed), "--ignore-column", "Notes", "--format",
                "json",
            ]))
        #expect(imported["added"] as? Int == 2)
        let holders = try array(try d.ctlOK(["holder", "list", "--format", "json"]))
        #expect(holders.compactMap { $0["name"] as? String } == ["Virtanen, Aino", "Sanna Ojala"])
        #expect(holders[0]["organisation"] as? String == "Valtiovarainministeriö, \"VM\"")
        let registrations = try array(try d.ctlOK(["registration", "list", "--holder", "2", "--format", "json"]))
        #expect(registrations.first?["until"] as? String == "2027-01-05T19:00:00+02:00")
    }

    @Test("duplicates are skipped and counted; overlaps are kept and reported; a dry run changes nothing")
    func duplicatesOverlapsDryRun() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        try d.ctlOK(["registration", "import", try Self.file(d, "first.csv", RegistrationImportTests.valid)])
        let second = """
            email,name,from,until
            aino.virtanen@vm.fi,Aino Virtanen,2027-01-04,2027-01-08
            AINO.VIRTANEN@vm.fi,Aino Virtanen,2027-01-07,2027-01-09
            new.person@vm.fi,New Person,2027-02-01,2027-02-05
            new.person@vm.fi,New Person,2027-02-01,2027-02-05
            new.person@vm.fi,New Person,2027-02-03,2027-02-10

            """
        let path = try Self.file(d, "second.csv", second)
        let before = try Self.state(d)
        let dry = try object(try d.ctlOK(["registration", "import", path, "--dry-run", "--format", "json"]))
        let unchanged = try Self.state(d)
        #expect(unchanged == before)
        #expect(dry["dry_run"] as? Bool == true && dry["added"] as? Int == 3)
        #expect(dry["duplicate_lines"] as? [Int] == [2, 5])
        let newHolders = try #require(dry["new_holders"] as? [[String: Any]])
        #expect(newHolders.count == 1 && newHolders[0]["id"] is NSNull && newHolders[0]["line"] as? Int == 4)
        let overlaps = try #require(dry["overlaps"] as? [[String: Any]])
        #expect(
            overlaps.map { "\($0["line"] ?? "") \($0["registration"] ?? "") \($0["other_line"] ?? "")" } == [
                "3 1 <null>", "6 <null> 4",
            ])
        let dryTable = try d.ctlOK(["registration", "import", path, "--dry-run"])
        #expect(
            dryTable.contains("dry run of") && dryTable.contains("new holder: New Person <new.person@vm.fi> (line 4)"))
        #expect(dryTable.contains("line 3: overlaps registration 1 of AINO.VIRTANEN@vm.fi (kept)"), "\(dryTable)")

        let real = try object(try d.ctlOK(["registration", "import", path, "--format", "json"]))
        #expect(real["dry_run"] as? Bool == false)
        // The import does what its dry run said.
        for key in ["rows", "added", "duplicate_lines"] {
            #expect(
                String(describing: real[key] ?? "") == String(describing: dry[key] ?? ""), "\(key) differs")
        }
        let realOverlaps = try #require(real["overlaps"] as? [[String: Any]])
        #expect(
            realOverlaps.map { "\($0["line"] ?? "") \($0["registration"] ?? "") \($0["other_line"] ?? "")" } == [
                "3 1 <null>", "6 <null> 4",
            ])
        #expect(realOverlaps.last?["holder"] as? Int == 4)  // the new holder, now created
        let after = try Self.state(d)
        #expect(after.holders == before.holders + 1 && after.registrations == before.registrations + 3)
        #expect(after.events == before.events + 1)
    }
}
