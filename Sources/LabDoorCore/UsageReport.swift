public import Foundation

/// Events counted by UTC minute, kind, outcome, reason and reader: what a store reads to build a report (one
/// aggregate query; a minute is fine enough to put every event in its local hour, whatever the zone's offset).
public struct UsageBucket: Hashable, Sendable {
    /// The UTC minute, `YYYY-MM-DDTHH:MM` (the first 16 characters of the log's time).
    public var minute: String
    /// The event kind.
    public var kind: String
    /// The outcome of a badge decision.
    public var outcome: String?
    /// The reason code.
    public var reason: String?
    /// The reader.
    public var reader: String?
    /// How many events.
    public var count: Int64

    /// Creates the value.
    public init(minute: String, kind: String, outcome: String?, reason: String?, reader: String?, count: Int64) {
        self.minute = minute
        self.kind = kind
        self.outcome = outcome
        self.reason = reason
        self.reader = reader
        self.count = count
    }
}

/// The Lab's use over a range of days (`labdoorctl report`): the numbers behind the charts. Entries are granted
/// badge decisions; denials are denied ones. Days and hours are the site zone's. Its JSON is a documented
/// interface (docs/cli.md), keys in declaration order.
public struct UsageReport: Codable, Hashable, Sendable {
    /// Decisions on one day.
    public struct Day: Codable, Hashable, Sendable {
        /// `YYYY-MM-DD`.
        public var date: String
        /// `Mon` … `Sun`.
        public var weekday: String
        /// Granted decisions.
        public var granted: Int64
        /// Denied decisions.
        public var denied: Int64
    }

    /// Entries in each hour of one weekday.
    public struct WeekdayHours: Codable, Hashable, Sendable {
        /// `Mon` … `Sun`.
        public var weekday: String
        /// 24 counts, hour 0 first.
        public var hours: [Int64]
    }

    /// Denials with one reason.
    public struct ReasonCount: Codable, Hashable, Sendable {
        /// The reason code.
        public var reason: String
        /// How many.
        public var count: Int64
    }

    /// One of the busiest hours.
    public struct BusyHour: Codable, Hashable, Sendable {
        /// `Mon` … `Sun`.
        public var weekday: String
        /// 0–23.
        public var hour: Int
        /// Entries in that hour, over the range.
        public var entries: Int64
    }

    /// Door alarms.
    public struct DoorAlarms: Codable, Hashable, Sendable {
        /// Doors opened without a grant or an exit request.
        public var forced: Int64
        /// Doors left open too long.
        public var heldOpen: Int64

        enum CodingKeys: String, CodingKey {
            case forced
            case heldOpen = "held_open"
        }
    }

    /// One reader's events.
    public struct ReaderActivity: Codable, Hashable, Sendable {
        /// The reader's name.
        public var reader: String
        /// Badge decisions on it.
        public var decisions: Int64
        /// Times it was attached.
        public var attached: Int64
        /// Times it was detached (unplugged, failed).
        public var detached: Int64
        /// Times it was locked out after bad reads.
        public var lockedOut: Int64

        enum CodingKeys: String, CodingKey {
            case reader, decisions, attached, detached
            case lockedOut = "locked_out"
        }
    }

    /// The first day.
    public var from: String
    /// The last day, included.
    public var to: String
    /// The site's zone.
    public var timeZone: String
    /// Granted decisions in the range.
    public var granted: Int64
    /// Denied decisions in the range.
    public var denied: Int64
    /// Every day of the range.
    public var days: [Day]
    /// Monday first: entries by weekday and hour.
    public var heatmap: [WeekdayHours]
    /// Denials by reason, most first.
    public var denials: [ReasonCount]
    /// The five busiest weekday hours (by entries), busiest first.
    public var busiestHours: [BusyHour]
    /// Door alarms.
    public var door: DoorAlarms
    /// The readers, by name.
    public var readers: [ReaderActivity]

    enum CodingKeys: String, CodingKey {
        case from, to
        case timeZone = "time_zone"
        case granted, denied, days, heatmap, denials
        case busiestHours = "busiest_hours"
        case door, readers
    }

    /// The longest range a report covers, in days.
    public static let maximumDays = 3660

    /// A report's range that cannot be used: the message says what to write.
    public struct RangeError: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong and what to write.
        public let description: String
    }

    /// The days `from…to` as typed (`YYYY-MM-DD`, both included): `to` defaults to `today`, `from` to 29 days
    /// before `to` (30 days in all).
    public static func days(
        from: String?, to: String?, today: LocalDate
    ) throws(RangeError) -> (
        first: LocalDate, last: LocalDate
    ) {
        func date(_ text: String, _ name: String) throws(RangeError) -> LocalDate {
            guard let date = LocalDate(iso: text.trimmingSpaces) else {
                throw RangeError(description: "\(name) \(text) is not a date; write YYYY-MM-DD, e.g. 2027-01-04")
            }
            return date
        }
        let last = try to.map { text throws(RangeError) in try date(text, "to") } ?? today
        let first = try from.map { text throws(RangeError) in try date(text, "from") } ?? last.adding(days: -29)
        guard first <= last else { throw RangeError(description: "from (\(first)) must not be after to (\(last))") }
        guard last.dayNumber - first.dayNumber < maximumDays else {
            throw RangeError(description: "a report covers at most \(maximumDays) days; choose a shorter range")
        }
        return (first, last)
    }

    /// The instants `[start, end)` of the days `first…last` in `zone`.
    public static func interval(first: LocalDate, last: LocalDate, zone: SiteZone) -> (start: Date, end: Date) {
        (
            zone.firstInstant(atOrAfter: LocalDateTime(date: first, time: .startOfDay)),
            zone.firstInstant(atOrAfter: LocalDateTime(date: last.adding(days: 1), time: .startOfDay))
        )
    }

    /// Builds the report of `first…last` from a store's buckets (those outside the days are ignored).
    public init(buckets: [UsageBucket], first: LocalDate, last: LocalDate, zone: SiteZone) {
        let dayCount = max(0, last.dayNumber - first.dayNumber + 1)
        var granted = [Int64](repeating: 0, count: dayCount)
        var denied = [Int64](repeating: 0, count: dayCount)
        var heat = [[Int64]](repeating: [Int64](repeating: 0, count: 24), count: 7)
        var reasons: [String: Int64] = [:]
        var door = DoorAlarms(forced: 0, heldOpen: 0)
        var readers: [String: ReaderActivity] = [:]
        for bucket in buckets {
            guard let instant = UTCTimestamp.parse(bucket.minute + ":00Z") else { continue }
            let local = zone.local(instant)
            let day = local.date.dayNumber - first.dayNumber
            guard day >= 0, day < dayCount else { continue }
            func reader(_ update: (inout ReaderActivity) -> Void) {
                guard let name = bucket.reader else { return }
                update(
                    &readers[
                        name,
                        default: ReaderActivity(reader: name, decisions: 0, attached: 0, detached: 0, lockedOut: 0)])
            }
            switch EventKind(rawValue: bucket.kind) {
            case .badgeDecision?:
                reader { $0.decisions += bucket.count }
                if bucket.outcome == Outcome.granted.rawValue {
                    granted[day] += bucket.count
                    heat[local.date.weekday.rawValue - 1][local.time.hour] += bucket.count
                } else {
                    denied[day] += bucket.count
                    reasons[bucket.reason ?? "unknown", default: 0] += bucket.count
                }
            case .doorForced?: door.forced += bucket.count
            case .doorHeldOpen?: door.heldOpen += bucket.count
            case .readerAttached?: reader { $0.attached += bucket.count }
            case .readerDetached?: reader { $0.detached += bucket.count }
            case .readerLockedOut?: reader { $0.lockedOut += bucket.count }
            default: break
            }
        }
        from = first.description
        to = last.description
        timeZone = zone.identifier
        self.granted = granted.reduce(0, +)
        self.denied = denied.reduce(0, +)
        days = (0..<dayCount).map { offset in
            let date = first.adding(days: offset)
            return Day(
                date: date.description, weekday: date.weekday.shortName, granted: granted[offset],
                denied: denied[offset])
        }
        heatmap = Weekday.allCases.map { WeekdayHours(weekday: $0.shortName, hours: heat[$0.rawValue - 1]) }
        denials = reasons.map { ReasonCount(reason: $0.key, count: $0.value) }
            .sorted { ($0.count, $1.reason) > ($1.count, $0.reason) }
        busiestHours = Weekday.allCases.flatMap { weekday in
            (0..<24).map { hour in
                BusyHour(weekday: weekday.shortName, hour: hour, entries: heat[weekday.rawValue - 1][hour])
            }
        }
        .filter { $0.entries > 0 }
        .enumerated().sorted { ($0.element.entries, $1.offset) > ($1.element.entries, $0.offset) }
        .prefix(5).map(\.element)
        self.door = door
        self.readers = readers.values.sorted { $0.reader < $1.reader }
    }
}
