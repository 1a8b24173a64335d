/// A wall-clock time of day in the site's time zone, to the second: 00:00:00 up to and including 24:00:00.
///
/// 24:00 exists only to close an interval at midnight ("20:00-24:00").
public struct TimeOfDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds since local midnight, 0…86 400.
    public let secondsSinceMidnight: Int

    /// Midnight at the start of the day.
    public static let startOfDay = TimeOfDay(uncheckedSeconds: 0)
    /// Midnight at the end of the day (24:00).
    public static let endOfDay = TimeOfDay(uncheckedSeconds: 86_400)

    /// Creates a time of day; nil unless 0 ≤ seconds ≤ 86 400.
    public init?(secondsSinceMidnight: Int) {
        guard (0...86_400).contains(secondsSinceMidnight) else { return nil }
        self.secondsSinceMidnight = secondsSinceMidnight
    }

    /// Creates a time of day from hours, minutes and seconds; nil unless it is a real time or exactly 24:00:00.
    public init?(hour: Int, minute: Int, second: Int = 0) {
        guard (0...23).contains(hour) || (hour == 24 && minute == 0 && second == 0),
            (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        self.secondsSinceMidnight = hour * 3600 + minute * 60 + second
    }

    /// Parses `HH:MM` or `HH:MM:SS` (two digits each); nil otherwise.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
            parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        let numbers = parts.compactMap { Int($0) }
        self.init(hour: numbers[0], minute: numbers[1], second: numbers.count == 3 ? numbers[2] : 0)
    }

    init(uncheckedSeconds: Int) { self.secondsSinceMidnight = uncheckedSeconds }

    /// The hour, 0–24.
    public var hour: Int { secondsSinceMidnight / 3600 }
    /// The minute, 0–59.
    public var minute: Int { secondsSinceMidnight / 60 % 60 }
    /// The second, 0–59.
    public var second: Int { secondsSinceMidnight % 60 }

    /// `HH:MM`, or `HH:MM:SS` when the seconds are not zero.
    public var description: String {
        let hm = "\(LocalDate.pad(hour, 2)):\(LocalDate.pad(minute, 2))"
        return second == 0 ? hm : hm + ":\(LocalDate.pad(second, 2))"
    }

    /// Orders times within a day.
    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool {
        lhs.secondsSinceMidnight < rhs.secondsSinceMidnight
    }
}

/// A wall-clock date and time in the site's time zone. It may name an instant that does not exist (the hour
/// skipped when clocks go forward) or one that happens twice (the hour repeated when they go back): see
/// `SiteZone.resolve(_:)`.
public struct LocalDateTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The date.
    public var date: LocalDate
    /// The time of day (24:00 is normalised to 00:00 of the next day).
    public var time: TimeOfDay

    /// Creates a local date-time; 24:00 becomes 00:00 on the next day.
    public init(date: LocalDate, time: TimeOfDay) {
        if time == .endOfDay {
            self.date = date.adding(days: 1)
            self.time = .startOfDay
        } else {
            self.date = date
            self.time = time
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM[:SS]` or `YYYY-MM-DD HH:MM[:SS]` (no zone designator).
    public init?(iso text: some StringProtocol) {
        let parts = text.split(maxSplits: 1, whereSeparator: { $0 == "T" || $0 == " " })
        guard parts.count == 2, let date = LocalDate(iso: parts[0]), let time = TimeOfDay(parsing: parts[1]),
            time < .endOfDay
        else { return nil }
        self.init(date: date, time: time)
    }

    /// Seconds since 1970-01-01 00:00 *as if* this wall time were UTC.
    var wallSeconds: Int { date.dayNumber * 86_400 + time.secondsSinceMidnight }

    /// `YYYY-MM-DD HH:MM[:SS]`.
    public var description: String { "\(date) \(time)" }

    /// Orders wall times chronologically (which is not always the order of the instants they name).
    public static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        (lhs.date, lhs.time) < (rhs.date, rhs.time)
    }
}
