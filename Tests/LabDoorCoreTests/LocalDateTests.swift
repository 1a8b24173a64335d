import Foundation
import LabDoorCore
import LabDoorTestKit
import Testing

@Suite("Local dates and times")
struct LocalDateTests {
    @Test("day numbers round-trip for every day from 1900 to 2200")
    func dayNumbersRoundTrip() throws {
        let first = try #require(LocalDate(year: 1900, month: 1, day: 1)).dayNumber
        let last = try #require(LocalDate(year: 2200, month: 12, day: 31)).dayNumber
        var previous: LocalDate?
        for n in first...last {
            let date = LocalDate(dayNumber: n)
            #expect(date.dayNumber == n)
            #expect(LocalDate(year: date.year, month: date.month, day: date.day) == date)
            if let previous { #expect(previous < date) }
            previous = date
        }
    }

    @Test(
        "weekdays of known dates",
        arguments: [
            ("1970-01-01", Weekday.thursday), ("1900-01-01", .monday), ("2000-02-29", .tuesday),
            ("2027-01-04", .monday), ("2027-06-25", .friday), ("2200-12-31", .wednesday), ("2026-11-29", .sunday),
        ])
    func weekdays(text: String, weekday: Weekday) {
        #expect(Fixtures.date(text).weekday == weekday)
    }

    @Test(
        "ISO dates parse strictly", arguments: ["2027-02-29", "2027-13-01", "2027-1-01", "27-01-01", "2027-01-01x", ""])
    func rejectsMalformedDates(text: String) {
        #expect(LocalDate(iso: text) == nil)
    }

    @Test("leap days exist only in leap years")
    func leapDays() {
        #expect(LocalDate(iso: "2024-02-29") != nil)
        #expect(LocalDate(iso: "2000-02-29") != nil)
        #expect(LocalDate(iso: "1900-02-29") == nil)
        #expect(LocalDate(iso: "2100-02-29") == nil)
    }

    @Test("times of day parse HH:MM and HH:MM:SS, and 24:00 only exactly")
    func timesOfDay() {
        #expect(TimeOfDay(parsing: "07:00")?.secondsSinceMidnight == 25_200)
        #expect(TimeOfDay(parsing: "19:59:59")?.secondsSinceMidnight == 71_999)
        #expect(TimeOfDay(parsing: "24:00") == .endOfDay)
        #expect(TimeOfDay(parsing: "24:01") == nil)
        #expect(TimeOfDay(parsing: "7:00") == nil)
        #expect(TimeOfDay(parsing: "07:60") == nil)
        #expect(TimeOfDay(parsing: "07:00:60") == nil)
    }

    @Test("opening intervals are half-open and never empty")
    func intervals() throws {
        let interval = try #require(OpeningInterval(parsing: "07:00-20:00"))
        #expect(interval.contains(try #require(TimeOfDay(parsing: "07:00:00"))))
        #expect(interval.contains(try #require(TimeOfDay(parsing: "19:59:59"))))
        #expect(!interval.contains(try #require(TimeOfDay(parsing: "20:00:00"))))
        #expect(!interval.contains(try #require(TimeOfDay(parsing: "06:59:59"))))
        #expect(OpeningInterval(parsing: "20:00-07:00") == nil)
        #expect(OpeningInterval(parsing: "07:00-07:00") == nil)
        #expect(OpeningInterval(parsing: "24:00-24:00") == nil)
        #expect(OpeningInterval(parsing: "22:00-24:00") != nil)
    }
}

@Suite("Times typed by people")
struct InstantParserTests {
    let zone = Fixtures.helsinki

    func utc(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }

    @Test(
        "dates, local times and explicit offsets",
        arguments: [
            ("2027-01-04", "2027-01-03T22:00:00Z"), ("2027-07-05", "2027-07-04T21:00:00Z"),
            ("2027-01-04T09:00", "2027-01-04T07:00:00Z"), ("2027-01-04 09:00:30", "2027-01-04T07:00:30Z"),
            ("2027-01-04T09:00Z", "2027-01-04T09:00:00Z"), ("2027-01-04T09:00+05:30", "2027-01-04T03:30:00Z"),
            ("2027-10-31T03:30+03:00", "2027-10-31T00:30:00Z"), ("2027-10-31T03:30+02:00", "2027-10-31T01:30:00Z"),
        ])
    func parses(text: String, expected: String) throws {
        #expect(try InstantParser.parse(text, zone: zone) == utc(expected))
    }

    @Test("a skipped or repeated local time is refused with the offsets to write")
    func dstAmbiguity() {
        do {
            _ = try InstantParser.parse("2027-03-28T03:30", zone: zone)
            Issue.record("accepted a time that does not exist")
        } catch {
            #expect(error.description.contains("2027-03-28T03:30+02:00 (the offset before the change)"))
            #expect(error.description.contains("2027-03-28T03:30+03:00 (after it)"))
        }
        do {
            _ = try InstantParser.parse("2027-10-31 03:30", zone: zone)
            Issue.record("accepted an ambiguous time")
        } catch {
            #expect(
                error.description.contains(
                    "2027-10-31T03:30+03:00 for the first, 2027-10-31T03:30+02:00 for the second"))
        }
        #expect(throws: InstantParser.ParseError.self) { try InstantParser.parse("tomorrow", zone: zone) }
    }

    @Test("an end given as a date is the end of that day; times show in the site zone with the offset")
    func endOfDayAndISO() throws {
        #expect(try InstantParser.parseEnd("2027-01-08", zone: zone) == utc("2027-01-08T22:00:00Z"))
        #expect(try InstantParser.parseEnd("2027-01-08T17:00", zone: zone) == utc("2027-01-08T15:00:00Z"))
        // The last Saturday of March ends at the next midnight, before the jump at 03:00 on Sunday.
        #expect(try InstantParser.parseEnd("2027-03-27", zone: zone) == utc("2027-03-27T22:00:00Z"))
        #expect(zone.iso(try #require(utc("2027-06-25T07:00:00Z"))) == "2027-06-25T10:00:00+03:00")
        #expect(zone.iso(try #require(utc("2027-01-04T05:00:30Z"))) == "2027-01-04T07:00:30+02:00")
    }
}
