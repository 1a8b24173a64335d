public import Foundation
public import LabDoorCore

/// The policy preview that `labdoord --demo` prints until the daemon runs the door: the coming week's calendar
/// and the decisions the demo holders would get at a few instants — computed by the real policy.
public struct PolicyPreview: Sendable {
    /// The policy.
    public let policy: AccessPolicy
    /// The demo holders.
    public let data: DemoData

    /// Creates a preview.
    public init(policy: AccessPolicy, data: DemoData) {
        self.policy = policy
        self.data = data
    }

    /// The preview as text lines, for `now`.
    public func render(now: Date) -> [String] {
        let zone = policy.calendar.zone
        let date = zone.local(now).date
        var lines = ["Opening calendar, \(zone.identifier):"]
        for offset in 0..<7 {
            let day = policy.calendar.schedule(on: date.adding(days: offset))
            let hours = day.hours.map(\.description).joined(separator: ", ")
            let note = day.holiday.map { " (\($0.name))" } ?? ""
            lines.append("  \(day.date) \(day.date.weekday.shortName)  \(day.isOpen ? hours : "closed")\(note)")
        }
        // The next day the Lab opens (today if it does), to show the opening edges.
        let openDay = (0..<14).map { date.adding(days: $0) }.first { policy.calendar.schedule(on: $0).isOpen } ?? date
        func at(_ hour: Int, _ minute: Int, _ second: Int = 0) -> Date {
            let time = TimeOfDay(hour: hour, minute: minute, second: second) ?? .startOfDay
            return zone.firstInstant(atOrAfter: LocalDateTime(date: openDay, time: time))
        }
        let instants = [
            ("now", now), ("06:59:59", at(6, 59, 59)), ("07:00", at(7, 0)), ("19:59:59", at(19, 59, 59)),
            ("20:00", at(20, 0)),
        ]
        lines.append("")
        lines.append("Demo badges and what they should do:")
        for entry in data.entries {
            lines.append(
                "  \(entry.badgeNumber)  \(entry.credential.holder.name) (\(entry.credential.holder.profile)): \(entry.expectation)"
            )
        }
        lines.append("  9999999999  (not registered): denied: unknown_badge")
        for (label, instant) in instants {
            lines.append("")
            lines.append("Decisions at \(label) (\(zone.describe(instant))):")
            for number in data.entries.map(\.badgeNumber) + ["9999999999"] {
                let decision = policy.decide(
                    data.credential(for: number), at: instant, mode: .normal, clockTrusted: true)
                lines.append(
                    "  \(number)  \(decision.reason.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(decision.explanation)"
                )
            }
        }
        return lines
    }
}
