import Foundation
import LabDoorCore
import LabDoorTestKit
import Testing

@Suite("Opening calendar")
struct OpeningCalendarTests {
    let calendar = OpeningCalendar(zone: Fixtures.helsinki)

    func isOpen(_ calendar: OpeningCalendar, _ local: String) -> Bool {
        if case .open = calendar.status(at: Fixtures.helsinkiInstant(local)) { return true }
        return false
    }

    @Test(
        "opening edges are half-open in local time, in winter and in summer",
        arguments: [
            ("2027-01-04 06:59:59", false), ("2027-01-04 07:00:00", true), ("2027-01-04 19:59:59", true),
            ("2027-01-04 20:00:00", false), ("2027-07-05 06:59:59", false), ("2027-07-05 07:00:00", true),
            ("2027-07-05 19:59:59", true), ("2027-07-05 20:00:00", false),
        ])
    func openingEdges(local: String, open: Bool) {
        #expect(isOpen(calendar, local) == open)
    }

    @Test("the edge is exact to the second and not shifted by a fraction")
    func fractionalSeconds() {
        let seven = Fixtures.helsinkiInstant("2027-01-04 07:00:00")
        #expect(!isOpenAt(seven.addingTimeInterval(-0.001)))
        #expect(isOpenAt(seven))
        let eight = Fixtures.helsinkiInstant("2027-01-04 20:00:00")
        #expect(isOpenAt(eight.addingTimeInterval(-0.001)))
        #expect(!isOpenAt(eight))
    }

    func isOpenAt(_ instant: Date) -> Bool {
        if case .open = calendar.status(at: instant) { return true }
        return false
    }

    @Test("weekends are closed and the explanation names the next opening")
    func weekendNextOpening() {
        let saturday = Fixtures.helsinkiInstant("2027-01-02 12:00")
        #expect(
            calendar.status(at: saturday)
                == .closed(.outsideOpeningHours, nextOpening: Fixtures.helsinkiInstant("2027-01-04 07:00")))
    }

    @Test("a holiday closes the Lab and is named; the next opening skips following holidays")
    func holidayClosure() {
        // Good Friday 2027-03-26, Easter Monday 2027-03-29: next opening Tuesday 30 March.
        let goodFriday = Fixtures.helsinkiInstant("2027-03-26 10:00")
        guard case .closed(.holiday(let holiday), let next) = calendar.status(at: goodFriday) else {
            Issue.record("Good Friday is not closed")
            return
        }
        #expect(holiday.name == "Good Friday")
        #expect(next == Fixtures.helsinkiInstant("2027-03-30 07:00"))
    }

    @Test("holidays = none makes holidays ordinary days")
    func holidaysOff() {
        let open = OpeningCalendar(zone: Fixtures.helsinki, holidays: .none)
        #expect(isOpen(open, "2027-12-06 10:00"))
        #expect(!isOpen(calendar, "2027-12-06 10:00"))
    }

    @Test("a closure wins over the weekly hours; special hours win over a holiday")
    func overrides() throws {
        let training = CalendarOverride(
            firstDay: Fixtures.date("2027-01-04"), lastDay: Fixtures.date("2027-01-05"),
            kind: .closed(reason: "staff training"))
        let openHoliday = CalendarOverride(
            firstDay: Fixtures.date("2027-12-06"), lastDay: Fixtures.date("2027-12-06"),
            kind: .hours([try #require(OpeningInterval(parsing: "10:00-14:00"))], note: "Independence Day event"))
        let cal = OpeningCalendar(zone: Fixtures.helsinki, overrides: [training, openHoliday])
        #expect(cal.schedule(on: Fixtures.date("2027-01-05")).closedReason == .closure(reason: "staff training"))
        #expect(!isOpen(cal, "2027-01-05 12:00"))
        #expect(isOpen(cal, "2027-01-06 12:00") == false)  // Epiphany
        #expect(isOpen(cal, "2027-01-07 12:00"))
        #expect(isOpen(cal, "2027-12-06 10:00"))
        #expect(!isOpen(cal, "2027-12-06 14:00"))
        let day = cal.schedule(on: Fixtures.date("2027-12-06"))
        #expect(day.holiday?.name == "Independence Day" && day.isOpen && day.note == "Independence Day event")
    }

    @Test(
        "opening times stay at 07:00 local across both DST changes",
        arguments: [
            // (Monday after the change, UTC hour of 07:00 local)
            ("2025-03-31", 4), ("2025-10-27", 5), ("2026-03-30", 4), ("2026-10-26", 5), ("2028-03-27", 4),
            ("2028-10-30", 5), ("2030-04-01", 4), ("2030-10-28", 5),
        ])
    func dstMondays(date: String, utcHour: Int) throws {
        let seven = Fixtures.helsinkiInstant("\(date) 07:00")
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = .gmt
        #expect(utc.component(.hour, from: seven) == utcHour)
        #expect(isOpen(calendar, "\(date) 07:00"))
        #expect(!isOpenAt(seven.addingTimeInterval(-1)))
    }

    /// A calendar open on Sundays around the DST change hour, to exercise the skipped and repeated hours.
    func sundayNightCalendar() throws -> OpeningCalendar {
        var weekly = WeeklyHours()
        try weekly.set([try #require(OpeningInterval(parsing: "03:30-04:30"))], on: .sunday)
        return OpeningCalendar(zone: Fixtures.helsinki, weekly: weekly, holidays: .none)
    }

    @Test(
        "spring forward: an interval starting in the skipped hour opens at the jump",
        arguments: [
            ("2026-03-29", "2026-03-29T01:00:00Z"), ("2027-03-28", "2027-03-28T01:00:00Z"),
            ("2028-03-26", "2028-03-26T01:00:00Z"),
        ])
    func springForward(date: String, jump: String) throws {
        let cal = try sundayNightCalendar()
        let jumpInstant = try #require(ISO8601DateFormatter().date(from: jump))
        // Local 03:30 does not exist: clocks go 02:59:59 → 04:00:00 (EET → EEST).
        #expect(
            Fixtures.helsinki.resolve(try #require(LocalDateTime(iso: "\(date) 03:30"))) == .skipped(next: jumpInstant))
        #expect(!isOpenAt(cal, jumpInstant.addingTimeInterval(-1)))
        #expect(isOpenAt(cal, jumpInstant))
        // The interval still closes at 04:30 wall time, i.e. 30 real minutes after the jump.
        #expect(isOpenAt(cal, jumpInstant.addingTimeInterval(29 * 60 + 59)))
        #expect(!isOpenAt(cal, jumpInstant.addingTimeInterval(30 * 60)))
        #expect(cal.nextOpening(after: jumpInstant.addingTimeInterval(-3600)) == jumpInstant)
    }

    @Test(
        "fall back: both passes through the repeated hour are judged by wall time",
        arguments: [
            ("2026-10-25", "2026-10-25T00:30:00Z"), ("2027-10-31", "2027-10-31T00:30:00Z"),
            ("2028-10-29", "2028-10-29T00:30:00Z"),
        ])
    func fallBack(date: String, firstPass: String) throws {
        let cal = try sundayNightCalendar()
        let first = try #require(ISO8601DateFormatter().date(from: firstPass))
        let second = first.addingTimeInterval(3600)
        // Local 03:30 happens at 00:30 UTC (EEST) and again at 01:30 UTC (EET).
        #expect(
            Fixtures.helsinki.resolve(try #require(LocalDateTime(iso: "\(date) 03:30")))
                == .repeated(earlier: first, later: second))
        #expect(isOpenAt(cal, first))
        #expect(isOpenAt(cal, second))
        // 04:00–04:30 EEST does not exist wall-clock-wise twice: 01:00 UTC is 03:00 EET again, closed.
        #expect(!isOpenAt(cal, first.addingTimeInterval(30 * 60)))
        #expect(isOpenAt(cal, second.addingTimeInterval(59 * 60)))
        #expect(!isOpenAt(cal, second.addingTimeInterval(60 * 60)))
    }

    func isOpenAt(_ cal: OpeningCalendar, _ instant: Date) -> Bool {
        if case .open = cal.status(at: instant) { return true }
        return false
    }

    @Test("local and resolve round-trip for every hour of several years")
    func roundTrip() {
        let zone = Fixtures.helsinki
        let start = Fixtures.helsinkiInstant("2025-01-01 00:00")
        for hour in stride(from: 0, to: 4 * 365 * 24, by: 1) {
            let instant = start.addingTimeInterval(TimeInterval(hour * 3600 + 17 * 60 + 5))
            switch zone.resolve(zone.local(instant)) {
            case .unique(let back): #expect(back == instant)
            case .repeated(let earlier, let later): #expect(earlier == instant || later == instant)
            case .skipped: Issue.record("\(instant) resolves to a skipped wall time")
            }
        }
    }
}
