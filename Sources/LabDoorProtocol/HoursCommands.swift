// The opening-hours commands, and `check` (the what-if). Dates are `YYYY-MM-DD` in the site's zone.

/// The weekly table in force, day by day, and where each day's hours come from.
public struct HoursTable: Codable, Hashable, Sendable {
    /// One weekday.
    public struct Day: Codable, Hashable, Sendable {
        /// `monday` … `sunday`.
        public var weekday: String
        /// Its intervals, `HH:MM-HH:MM` (empty: closed).
        public var hours: [String]
        /// `config` (the `[hours]` table of labdoor.toml) or `database` (`hours set`).
        public var source: String
        /// Who stored it (source `database`).
        public var setBy: String?
        /// When (site zone).
        public var setAt: String?

        /// Creates the value.
        public init(weekday: String, hours: [String], source: String, setBy: String?, setAt: String?) {
            self.weekday = weekday
            self.hours = hours
            self.source = source
            self.setBy = setBy
            self.setAt = setAt
        }

        enum CodingKeys: String, CodingKey {
            case weekday, hours, source
            case setBy = "set_by"
            case setAt = "set_at"
        }
    }

    /// The site's IANA zone.
    public var timeZone: String
    /// `finland` (closed on Finnish public holidays) or `none`.
    public var holidays: String
    /// Monday to Sunday.
    public var days: [Day]

    /// Creates the value.
    public init(timeZone: String, holidays: String, days: [Day]) {
        self.timeZone = timeZone
        self.holidays = holidays
        self.days = days
    }

    enum CodingKeys: String, CodingKey {
        case timeZone = "time_zone"
        case holidays, days
    }
}

/// `hours.show`: the weekly table in force.
public struct HoursShowCommand: ControlCommand {
    /// The result.
    public typealias Result = HoursTable
    /// The wire name.
    public static let name = "hours.show"
    /// Readers may ask.
    public static let role = ControlRole.audit
    /// The command.
    public init() {}
}

/// `hours.set`: store a weekday's hours in the database, in force at once instead of the configuration's.
public struct HoursSetCommand: ControlCommand {
    /// The result.
    public typealias Result = HoursTable
    /// The wire name.
    public static let name = "hours.set"
    /// Changes data.
    public static let role = ControlRole.admin

    /// `monday` … `sunday` (or `mon` … `sun`).
    public var weekday: String
    /// `HH:MM-HH:MM[,HH:MM-HH:MM…]`, or `closed`.
    public var hours: String

    /// The command.
    public init(weekday: String, hours: String) {
        self.weekday = weekday
        self.hours = hours
    }
}

/// `hours.reset`: drop the stored hours of one weekday, or of all (absent), so the configuration's apply.
public struct HoursResetCommand: ControlCommand {
    /// The result.
    public typealias Result = HoursTable
    /// The wire name.
    public static let name = "hours.reset"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The weekday (absent: every weekday).
    public var weekday: String?

    /// The command.
    public init(weekday: String? = nil) { self.weekday = weekday }
}

/// A closure or special hours.
public struct OverrideInfo: Codable, Hashable, Sendable {
    /// The id.
    public var id: Int64
    /// `closed` or `hours`.
    public var kind: String
    /// The first date.
    public var from: String
    /// The last date (included).
    public var to: String
    /// The reason (shown to visitors at the door).
    public var reason: String
    /// For `hours`: the intervals, `HH:MM-HH:MM`.
    public var hours: [String]

    /// Creates the value.
    public init(id: Int64, kind: String, from: String, to: String, reason: String, hours: [String]) {
        self.id = id
        self.kind = kind
        self.from = from
        self.to = to
        self.reason = reason
        self.hours = hours
    }
}

/// `hours.closure.add`: close the Lab from one date through another (default: that one day).
public struct ClosureAddCommand: ControlCommand {
    /// The result.
    public typealias Result = OverrideInfo
    /// The wire name.
    public static let name = "hours.closure.add"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The first date.
    public var from: String
    /// The last date, included (absent: `from`).
    public var to: String?
    /// Why (shown to visitors at the door).
    public var reason: String

    /// The command.
    public init(from: String, to: String? = nil, reason: String) {
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// `hours.special.add`: other hours on a date (or through `to`).
public struct SpecialHoursAddCommand: ControlCommand {
    /// The result.
    public typealias Result = OverrideInfo
    /// The wire name.
    public static let name = "hours.special.add"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The date.
    public var date: String
    /// The last date, included (absent: `date`).
    public var to: String?
    /// `HH:MM-HH:MM[,HH:MM-HH:MM…]`.
    public var hours: String
    /// Why.
    public var reason: String

    /// The command.
    public init(date: String, to: String? = nil, hours: String, reason: String) {
        self.date = date
        self.to = to
        self.hours = hours
        self.reason = reason
    }
}

/// `hours.closure.list`: closures and special hours, in id order, optionally only those ending on or after
/// `from`.
public struct ClosureListCommand: PagedCommand {
    /// The result.
    public typealias Result = Page<OverrideInfo>
    /// The wire name.
    public static let name = "hours.closure.list"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// Only those that last until this date or later.
    public var from: String?
    /// Start after this id.
    public var after: Int64?
    /// Page size.
    public var limit: Int64?

    /// The command.
    public init(from: String? = nil, after: Int64? = nil, limit: Int64? = nil) {
        self.from = from
        self.after = after
        self.limit = limit
    }
}

/// `hours.closure.remove`: delete a closure or special hours; the result is what was removed.
public struct ClosureRemoveCommand: ControlCommand {
    /// The result.
    public typealias Result = OverrideInfo
    /// The wire name.
    public static let name = "hours.closure.remove"
    /// Changes data.
    public static let role = ControlRole.admin

    /// The id.
    public var id: Int64

    /// The command.
    public init(id: Int64) { self.id = id }
}

/// One day of the opening calendar.
public struct CalendarDay: Codable, Hashable, Sendable {
    /// An opening interval.
    public struct Interval: Codable, Hashable, Sendable {
        /// `HH:MM`.
        public var from: String
        /// `HH:MM` (`24:00` at midnight).
        public var to: String

        /// Creates the value.
        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    /// `YYYY-MM-DD`.
    public var date: String
    /// `Mon` … `Sun`.
    public var weekday: String
    /// Whether the Lab opens at all that day.
    public var open: Bool
    /// Why it is closed (`outside_opening_hours`, `closed_holiday`, `closed_closure`), nil when open.
    public var reason: String?
    /// The public holiday's name.
    public var holiday: String?
    /// The intervals.
    public var hours: [Interval]
    /// A closure's reason or special hours' note.
    public var note: String?

    /// Creates the value.
    public init(
        date: String, weekday: String, open: Bool, reason: String?, holiday: String?, hours: [Interval],
        note: String?
    ) {
        self.date = date
        self.weekday = weekday
        self.open = open
        self.reason = reason
        self.holiday = holiday
        self.hours = hours
        self.note = note
    }
}

/// `hours.calendar`: every day from `from` through `to` (at most 3660 days): open or closed, why, and the hours.
public struct HoursCalendarCommand: ControlCommand {
    /// The result.
    public typealias Result = [CalendarDay]
    /// The wire name.
    public static let name = "hours.calendar"
    /// Readers may ask.
    public static let role = ControlRole.audit
    /// The longest range.
    public static let maximumDays = 3660

    /// The first date.
    public var from: String
    /// The last date, included.
    public var to: String

    /// The command.
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

/// The decision a badge would get.
public struct CheckResult: Codable, Hashable, Sendable {
    /// The holder, as far as the decision goes.
    public struct Holder: Codable, Hashable, Sendable {
        /// The id.
        public var id: Int64
        /// The name.
        public var name: String
        /// The profile.
        public var profile: String

        /// Creates the value.
        public init(id: Int64, name: String, profile: String) {
            self.id = id
            self.name = name
            self.profile = profile
        }
    }

    /// The badge's last four characters.
    public var badgeLast4: String
    /// The holder, or nil for an unknown badge.
    public var holder: Holder?
    /// `granted` or `denied`.
    public var decision: String
    /// The reason code.
    public var reason: String
    /// The sentence a visitor would see.
    public var explanation: String
    /// The instant decided (site zone).
    public var at: String
    /// The reader asked about, if any.
    public var reader: String?

    /// Creates the value.
    public init(
        badgeLast4: String, holder: Holder?, decision: String, reason: String, explanation: String, at: String,
        reader: String?
    ) {
        self.badgeLast4 = badgeLast4
        self.holder = holder
        self.decision = decision
        self.reason = reason
        self.explanation = explanation
        self.at = at
        self.reader = reader
    }

    enum CodingKeys: String, CodingKey {
        case badgeLast4 = "badge_last4"
        case holder, decision, reason, explanation, at, reader
    }
}

/// `check`: the decision the daemon would make for a badge now or at `at`, and why — without opening the door or
/// logging a decision. A reader's lockout is not applied (it depends on reads that have not happened).
public struct CheckCommand: ControlCommand {
    /// The result.
    public typealias Result = CheckResult
    /// The wire name.
    public static let name = "check"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// The badge number as typed.
    public var badge: String
    /// When, as typed (absent: now, with the clock's current trust; a given time assumes a synchronised clock).
    public var at: String?
    /// A configured reader.
    public var reader: String?

    /// The command.
    public init(badge: String, at: String? = nil, reader: String? = nil) {
        self.badge = badge
        self.at = at
        self.reader = reader
    }
}
