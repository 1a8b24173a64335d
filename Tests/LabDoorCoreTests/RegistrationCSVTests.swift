import Foundation
import LabDoorTestKit
import Testing

@testable import LabDoorCore

@Suite("The CSV reader and the registration file")
struct RegistrationCSVTests {
    let zone = Fixtures.helsinki

    @Test("RFC 4180: quotes, doubled quotes, commas and line breaks inside, CRLF, a BOM, empty lines skipped")
    func reader() throws {
        let records = try CSVReader.records(
            "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n\r\nlast,,\n")
        #expect(records.map(\.line) == [1, 2, 5])
        #expect(records[0].fields == ["a", "b", "c"])
        #expect(records[1].fields == ["x, y", "say \"hi\"", "two\r\nlines"])
        #expect(records[2].fields == ["last", "", ""])
        #expect(try CSVReader.records("a,b").map(\.fields) == [["a", "b"]])  // no final line end
        #expect(try CSVReader.records("").isEmpty)
    }

    @Test(
        "malformed CSV is refused with the line and what to do",
        arguments: [
            ("a,b\n\"open,c\n", 2, "not closed"),
            ("a,b\n\"x\"y,c\n", 2, "after a closing quote"),
            ("a,b\nx\"y,c\n", 2, "quote inside an unquoted field"),
            ("a,b\rc,d\n", 1, "carriage return without a line feed"),
        ])
    func malformed(text: String, line: Int, message: String) {
        do {
            _ = try CSVReader.records(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.line == line && error.message.contains(message), "\(error)")
        }
    }

    @Test("columns in any order and case; a date alone as until is the end of that day; times in the site zone")
    func rows() throws {
        let rows = try RegistrationCSV.rows(
            "Until,FROM,name,Email\n2027-01-08,2027-01-04,Aino,aino@vm.fi\n2027-01-05T17:00,2027-01-05T09:00,B,b@x.fi\n",
            zone: zone)
        #expect(rows.count == 2 && rows[0].line == 2 && rows[0].organisation == nil)
        #expect(rows[0].from == Fixtures.helsinkiInstant("2027-01-04 00:00"))
        #expect(rows[0].until == Fixtures.helsinkiInstant("2027-01-09 00:00"))
        #expect(rows[1].until == Fixtures.helsinkiInstant("2027-01-05 17:00"))
        #expect(rows[0].emailKey == "aino@vm.fi")
    }

    @Test("every bad line is listed with its number, after the header's problems; nothing is returned")
    func problems() {
        let text = """
            email,name,from,until
            good@vm.fi,Good,2027-01-04,2027-01-05
            ,Nobody,2027-01-04,2027-01-05
            x@vm.fi,,2027-01-04
            y@vm.fi,Y,2027-01-05,2027-01-04
            z@vm.fi,Z,2027-03-28T03:30,2027-03-29

            """
        do {
            _ = try RegistrationCSV.rows(text, zone: zone)
            Issue.record("accepted a file with bad lines")
        } catch {
            #expect(error.problems.map(\.line) == [3, 4, 5, 6])
            #expect(error.problems[0].message.contains("the email is empty"))
            #expect(error.problems[1].message.contains("3 fields where the header has 4"))
            #expect(error.problems[2].message.contains("must be after from"))
            #expect(error.problems[3].message.contains("does not exist in Europe/Helsinki"))
            #expect(error.description.hasPrefix("the file was not imported (nothing changed): 4 problems"))
        }
    }

    @Test("the header: unknown, repeated and missing columns; --ignore-column")
    func header() throws {
        do {
            _ = try RegistrationCSV.rows("email,email,phone,from\n", zone: zone)
            Issue.record("accepted a bad header")
        } catch {
            let text = error.problems.map(\.message).joined(separator: "\n")
            #expect(text.contains("the column email appears twice"))
            #expect(text.contains("unknown column \"phone\""))
            #expect(text.contains("the header lacks name, until"))
        }
        let rows = try RegistrationCSV.rows(
            "email,name,Phone,from,until\na@b.fi,A,040 123,2027-01-04,2027-01-05\n", zone: zone, ignoring: ["phone"])
        #expect(rows.count == 1)
        #expect(throws: RegistrationCSV.Failure.self) { try RegistrationCSV.rows("", zone: zone) }
    }

    @Test("only the first 100 problems are listed, with the count of the rest")
    func manyProblems() {
        let text = "email,name,from,until\n" + String(repeating: "bad,B,2027-01-04,2027-01-05\n", count: 250)
        do {
            _ = try RegistrationCSV.rows(text, zone: zone)
        } catch {
            #expect(error.problems.count == 250)
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 102 && lines.last == "… and 150 more problems")
        }
    }
}
