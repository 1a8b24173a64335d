public import Foundation

/// Which holders to list: a page of them in id order, after `after`.
public struct HolderQuery: Hashable, Sendable {
    /// Only holders with this profile.
    public var profile: String?
    /// Only suspended (`true`) or only unsuspended (`false`) holders.
    public var suspended: Bool?
    /// Only holders whose name, e-mail or organisation contains this text (case-insensitive for ASCII).
    public var search: String?
    /// Whether removed holders are listed too.
    public var includeRemoved: Bool
    /// Start after this holder.
    public var after: HolderID?
    /// At most this many.
    public var limit: Int

    /// A query; by default the first 100 holders that are not removed.
    public init(
        profile: String? = nil, suspended: Bool? = nil, search: String? = nil, includeRemoved: Bool = false,
        after: HolderID? = nil, limit: Int = 100
    ) {
        self.profile = profile
        self.suspended = suspended
        self.search = search
        self.includeRemoved = includeRemoved
        self.after = after
        self.limit = limit
    }
}

/// Which badges to list: a page of them in id order.
public struct BadgeQuery: Hashable, Sendable {
    /// Only this holder's badges.
    public var holder: HolderID?
    /// Start after this badge id.
    public var after: Int64?
    /// At most this many.
    public var limit: Int

    /// A query.
    public init(holder: HolderID? = nil, after: Int64? = nil, limit: Int = 100) {
        self.holder = holder
        self.after = after
        self.limit = limit
    }
}

/// Which registrations to list: a page of them in id order.
public struct RegistrationQuery: Hashable, Sendable {
    /// Only this holder's registrations.
    public var holder: HolderID?
    /// Only registrations that cover this instant.
    public var activeAt: Date?
    /// Start after this registration id.
    public var after: Int64?
    /// At most this many.
    public var limit: Int

    /// A query.
    public init(holder: HolderID? = nil, activeAt: Date? = nil, after: Int64? = nil, limit: Int = 100) {
        self.holder = holder
        self.activeAt = activeAt
        self.after = after
        self.limit = limit
    }
}

/// Changes to a holder's fields: nil leaves a field as it is; an empty organisation or e-mail clears it.
public struct HolderEdit: Hashable, Sendable {
    /// The new name.
    public var name: String?
    /// The new profile.
    public var profile: String?
    /// The new organisation ("" clears it).
    public var organisation: String?
    /// The new e-mail ("" clears it).
    public var email: String?

    /// An edit.
    public init(name: String? = nil, profile: String? = nil, organisation: String? = nil, email: String? = nil) {
        self.name = name
        self.profile = profile
        self.organisation = organisation
        self.email = email
    }

    /// Whether it changes nothing.
    public var isEmpty: Bool { name == nil && profile == nil && organisation == nil && email == nil }
}

/// A weekday's hours stored in the database by `hours set`, in force instead of the configuration's.
public struct StoredWeekdayHours: Hashable, Sendable {
    /// The weekday.
    public var weekday: Weekday
    /// Its intervals (empty: closed all day).
    public var intervals: [OpeningInterval]
    /// Who set them (Unix user).
    public var setBy: String
    /// When.
    public var setAt: Date

    /// Creates the value.
    public init(weekday: Weekday, intervals: [OpeningInterval], setBy: String, setAt: Date) {
        self.weekday = weekday
        self.intervals = intervals
        self.setBy = setBy
        self.setAt = setAt
    }
}

extension WeeklyHours {
    /// This table with the stored weekdays in place of its own.
    public func overridden(by stored: [StoredWeekdayHours]) -> WeeklyHours {
        var table = self
        for day in stored {
            // Stored intervals were normalised when they were set; a damaged row that overlaps keeps the table's.
            try? table.set(day.intervals, on: day.weekday)
        }
        return table
    }
}

/// Who removed a holder, and what went with them.
public struct HolderRemoval: Hashable, Sendable {
    /// The holder.
    public var holder: HolderID
    /// Whether their personal data was erased (the row deleted), not only marked removed.
    public var erased: Bool
    /// How many badges were revoked (remove) or deleted (erase).
    public var badges: Int
    /// How many registrations were deleted (erase); a removal keeps them as history.
    public var registrations: Int

    /// Creates the value.
    public init(holder: HolderID, erased: Bool, badges: Int, registrations: Int) {
        self.holder = holder
        self.erased = erased
        self.badges = badges
        self.registrations = registrations
    }
}
