public import Foundation

/// A half-open wall-clock interval within one day, `[start, end)`: 07:00–20:00 is open at 07:00:00 and
/// 19:59:59 and closed at 20:00:00. `end` may be 24:00; an interval never crosses midnight (write two).
public struct OpeningInterval: Hashable, Sendable, CustomStringConvertible {
    /// The first second that is open.
    public let start: TimeOfDay
    /// The first second that is closed again.
    public let end: TimeOfDay

    /// Creates an interval; nil unless start < end.
    public init?(start: TimeOfDay, end: TimeOfDay) {
        guard start < end else { return nil }
        self.start = start
        self.end = end
    }

    /// Parses `HH:MM-HH:MM` (seconds optional on either side); nil when malformed or empty.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let start = TimeOfDay(parsing: String(parts[0]).trimmingSpaces), start < .endOfDay,
            let end = TimeOfDay(parsing: String(parts[1]).trimmingSpaces)
        else { return nil }
        self.init(start: start, end: end)
    }

    /// Whether the interval contains the wall time `time`.
    public func contains(_ time: TimeOfDay) -> Bool { start <= time && time < end }

    /// `HH:MM-HH:MM`.
    public var description: String { "\(start)-\(end)" }
}

/// The weekly opening-hours table: for each weekday, its intervals (sorted, non-overlapping).
public struct WeeklyHours: Hashable, Sendable {
    private var days: [Weekday: [OpeningInterval]]

    /// The Lab's hours: Monday–Friday 07:00–20:00, closed at weekends.
    public static let labDefault: WeeklyHours = {
        var hours = WeeklyHours()
        let day = OpeningInterval(
            start: TimeOfDay(uncheckedSeconds: 7 * 3600), end: TimeOfDay(uncheckedSeconds: 20 * 3600))
        for weekday in Weekday.allCases where weekday < .saturday {
            if let day { hours.days[weekday] = [day] }
        }
        return hours
    }()

    /// A table that is closed every day.
    public init() { self.days = [:] }

    /// The intervals of `weekday` (empty: closed all day).
    public subscript(weekday: Weekday) -> [OpeningInterval] {
        days[weekday] ?? []
    }

    /// Replaces the intervals of `weekday`. Throws when two intervals overlap.
    public mutating func set(_ intervals: [OpeningInterval], on weekday: Weekday) throws(OverlapError) {
        days[weekday] = try Self.normalised(intervals)
    }

    /// Two opening intervals of one day overlap.
    public struct OverlapError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The two overlapping intervals.
        public let first: OpeningInterval, second: OpeningInterval
        /// A sentence naming them.
        public var description: String { "intervals \(first) and \(second) overlap" }
    }

    /// Sorts intervals and rejects overlaps (touching intervals such as 07:00–12:00 and 12:00–20:00 are fine).
    static func normalised(_ intervals: [OpeningInterval]) throws(OverlapError) -> [OpeningInterval] {
        let sorted = intervals.sorted { $0.start < $1.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.start < a.end {
            throw OverlapError(first: a, second: b)
        }
        return sorted
    }
}

/// Whether public holidays close the Lab.
public enum HolidayRule: String, Hashable, Sendable, CaseIterable {
    /// Closed on Finnish public holidays (the default).
    case finland
    /// Holidays are ordinary days.
    case none
}

/// A dated exception to the weekly table, added by staff: closed with a reason, or other hours.
/// It applies to every date from `firstDay` through `lastDay` (inclusive) and wins over holidays.
public struct CalendarOverride: Hashable, Sendable {
    /// What the override does.
    public enum Kind: Hashable, Sendable {
        /// Closed all day, with a reason shown to visitors ("staff training").
        case closed(reason: String)
        /// Open only in these intervals (empty: closed), with a note.
        case hours([OpeningInterval], note: String)
    }

    /// The store's identifier, when it has one.
    public var id: Int64?
    /// The first date it applies to.
    public var firstDay: LocalDate
    /// The last date it applies to (inclusive).
    public var lastDay: LocalDate
    /// What it does.
    public var kind: Kind

    /// Creates an override.
    public init(id: Int64? = nil, firstDay: LocalDate, lastDay: LocalDate, kind: Kind) {
        self.id = id
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.kind = kind
    }

    /// Whether it applies to `date`.
    public func applies(to date: LocalDate) -> Bool { firstDay <= date && date <= lastDay }
}

/// Why a day, or an instant, is closed.
public enum ClosedReason: Hashable, Sendable {
    /// Not within the weekly hours (or a special-hours day's hours).
    case outsideOpeningHours
    /// A public holiday.
    case holiday(Holiday)
    /// A staff-added closure, with its reason.
    case closure(reason: String)

    /// The decision reason code for this.
    public var reasonCode: ReasonCode {
        switch self {
        case .outsideOpeningHours: .outsideOpeningHours
        case .holiday: .closedHoliday
        case .closure: .closedClosure
        }
    }
}

/// One day of the opening calendar, as `labdoorctl hours calendar` shows it.
public struct DaySchedule: Hashable, Sendable {
    /// The date.
    public let date: LocalDate
    /// The intervals the Lab is open (empty: closed all day).
    public let hours: [OpeningInterval]
    /// The holiday on this date, if any (even when a special-hours override opens the Lab anyway).
    public let holiday: Holiday?
    /// Why the day is closed all day; nil when it has opening hours.
    public let closedReason: ClosedReason?
    /// The note of a special-hours override, if one applies.
    public let note: String?

    /// Whether the Lab opens at all on this day.
    public var isOpen: Bool { !hours.isEmpty }
}

/// The opening calendar: the weekly table, the holiday rule and staff overrides, in the site's time zone.
public struct OpeningCalendar: Hashable, Sendable {
    /// The site's time zone.
    public var zone: SiteZone
    /// The weekly table.
    public var weekly: WeeklyHours
    /// Whether holidays close the Lab.
    public var holidays: HolidayRule
    /// Closures and special hours; when several apply to a date, the last one added wins.
    public var overrides: [CalendarOverride]

    /// Creates a calendar.
    public init(
        zone: SiteZone, weekly: WeeklyHours = .labDefault, holidays: HolidayRule = .finland,
        overrides: [CalendarOverride] = []
    ) {
        self.zone = zone
        self.weekly = weekly
        self.holidays = holidays
        self.overrides = overrides
    }

    /// The schedule of one date. Precedence: a staff override, then a holiday, then the weekly table.
    public func schedule(on date: LocalDate) -> DaySchedule {
        let holiday = holidays == .finland ? FinnishHolidays.holiday(on: date) : nil
        if let override = overrides.last(where: { $0.applies(to: date) }) {
            switch override.kind {
            case .closed(let reason):
                return DaySchedule(
                    date: date, hours: [], holiday: holiday, closedReason: .closure(reason: reason), note: nil)
            case .hours(let intervals, let note):
                return DaySchedule(
                    date: date, hours: intervals, holiday: holiday,
                    closedReason: intervals.isEmpty ? .closure(reason: note) : nil, note: note)
            }
        }
        if let holiday {
            return DaySchedule(date: date, hours: [], holiday: holiday, closedReason: .holiday(holiday), note: nil)
        }
        let hours = weekly[date.weekday]
        return DaySchedule(
            date: date, hours: hours, holiday: nil, closedReason: hours.isEmpty ? .outsideOpeningHours : nil, note: nil)
    }

    /// Whether the Lab is open at an instant.
    public enum Status: Hashable, Sendable {
        /// Open; `closes` is the end of the current interval.
        case open(closes: Date)
        /// Closed, why, and when it next opens (nil when not within `OpeningCalendar.searchDays`).
        case closed(ClosedReason, nextOpening: Date?)
    }

    /// How far ahead `status(at:)` looks for the next opening.
    public static let searchDays = 400

    /// Whether the Lab is open at `now`, judged by the wall-clock time in the site zone.
    ///
    /// Daylight-saving time: intervals are wall-clock times. When clocks go forward, an interval that starts in
    /// the skipped hour opens at the jump; when they go back, both passes through the repeated hour are judged
    /// by their wall time (an interval 02:00–04:00 then lasts three real hours).
    public func status(at now: Date) -> Status {
        let local = zone.local(now)
        let day = schedule(on: local.date)
        if let interval = day.hours.first(where: { $0.contains(local.time) }) {
            return .open(closes: zone.firstInstant(atOrAfter: LocalDateTime(date: local.date, time: interval.end)))
        }
        return .closed(day.closedReason ?? .outsideOpeningHours, nextOpening: nextOpening(after: now))
    }

    /// The first instant after `now` at which an interval opens, or nil if none within `searchDays`.
    public func nextOpening(after now: Date) -> Date? {
        let today = zone.local(now).date
        for offset in 0...Self.searchDays {
            let date = today.adding(days: offset)
            for interval in schedule(on: date).hours {
                let opens = zone.firstInstant(atOrAfter: LocalDateTime(date: date, time: interval.start))
                if opens > now { return opens }
            }
        }
        return nil
    }
}
