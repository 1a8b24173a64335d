import Foundation
import LabDoorCore
import LabDoorTestKit
import Testing

@Suite("Usage report")
struct UsageReportTests {
    func bucket(
        _ minute: String, _ count: Int64 = 1, kind: EventKind = .badgeDecision, outcome: Outcome? = .granted,
        reason: ReasonCode? = nil, reader: String? = "entry"
    ) -> UsageBucket {
        UsageBucket(
            minute: minute, kind: kind.rawValue, outcome: outcome?.rawValue,
            reason: reason?.rawValue ?? (outcome == .granted ? ReasonCode.granted.rawValue : nil), reader: reader,
            count: count)
    }

    @Test("UTC minutes land on the site's day and hour, across the spring-forward night; outside days are left out")
    func localDaysAndHours() throws {
        let first = try #require(LocalDate(iso: "2027-03-27"))
        let last = try #require(LocalDate(iso: "2027-03-28"))
        let report = UsageReport(
            buckets: [
                bucket("2027-03-26T21:59", 5),  // 23:59 on the 26th (+02:00): before the range
                bucket("2027-03-26T22:00", 2),  // 00:00 on the 27th
                bucket("2027-03-28T00:59", 3),  // 02:59 (+02:00), the minute before the clocks jump
                bucket("2027-03-28T01:00", 4),  // 04:00 (+03:00)
                bucket("2027-03-28T20:59", 6, outcome: .denied, reason: .outsideOpeningHours),  // 23:59
                bucket("2027-03-28T21:00", 7),  // 00:00 on the 29th: after the range
                bucket("2027-03-27T08:00", 2, outcome: .denied, reason: .unknownBadge),
                bucket("2027-03-27T08:01", kind: .doorForced, outcome: nil, reader: nil),
                bucket("2027-03-27T08:02", kind: .readerDetached, outcome: nil),
                bucket("2027-03-27T08:03", kind: .readerAttached, outcome: nil, reader: "exit"),
            ], first: first, last: last, zone: Fixtures.helsinki)
        #expect(report.days.map(\.date) == ["2027-03-27", "2027-03-28"])
        #expect(report.days.map(\.granted) == [2, 7] && report.days.map(\.denied) == [2, 6])
        #expect(report.granted == 9 && report.denied == 8)
        let saturday = try #require(report.heatmap.first { $0.weekday == "Sat" })
        let sunday = try #require(report.heatmap.first { $0.weekday == "Sun" })
        #expect(saturday.hours[0] == 2 && sunday.hours[2] == 3 && sunday.hours[3] == 0 && sunday.hours[4] == 4)
        #expect(report.heatmap.map(\.weekday) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
        #expect(report.denials.map(\.reason) == ["outside_opening_hours", "unknown_badge"])
        #expect(report.busiestHours.map(\.hour) == [4, 2, 0] && report.busiestHours[0].weekday == "Sun")
        #expect(report.door.forced == 1 && report.door.heldOpen == 0)
        #expect(report.readers.map(\.reader) == ["entry", "exit"])
        #expect(report.readers[0].decisions == 17 && report.readers[0].detached == 1 && report.readers[1].attached == 1)
    }

    @Test("the range: 30 days ending today by default, from after to and too long refused, bad dates named")
    func days() throws {
        let today = try #require(LocalDate(iso: "2027-01-31"))
        let range = try UsageReport.days(from: nil, to: nil, today: today)
        #expect(range.first.description == "2027-01-02" && range.last == today)
        #expect(throws: UsageReport.RangeError.self) {
            try UsageReport.days(from: "2027-02-01", to: "2027-01-01", today: today)
        }
        #expect(throws: UsageReport.RangeError.self) { try UsageReport.days(from: "2000-01-01", to: nil, today: today) }
        do {
            _ = try UsageReport.days(from: "2027-13-01", to: nil, today: today)
            Issue.record("a month 13 was accepted")
        } catch {
            #expect(error.description.contains("YYYY-MM-DD"))
        }
    }
}
