public import Foundation

/// A change to the site's data, as staff (or the daemon itself) ask for it. The store carries it out and logs
/// it as one `admin_change` event in the same transaction; the event names ids, profiles and dates, never a
/// person's name or e-mail.
public enum RegistryChange: Hashable, Sendable {
    /// Adds a holder (the name is trimmed; it must not be empty).
    case addHolder(name: String, profile: String, organisation: String?, email: String?)
    /// Suspends (`true`) or resumes (`false`) a holder.
    case setSuspended(HolderID, Bool)
    /// Changes a holder's name, profile, organisation or e-mail.
    case editHolder(HolderID, HolderEdit)
    /// Removes a holder: marked removed (kept, so that the log's events still show who they were) and every
    /// badge revoked; they no longer appear in lists.
    case removeHolder(HolderID)
    /// Erases a holder's personal data (GDPR): the holder row, their badges and registrations are deleted and
    /// overwritten (`secure_delete`); their events stay, by id only, and show as "erased #ID".
    case eraseHolder(HolderID)
    /// Assigns a badge number to a holder (only its fingerprint and last four characters are stored). A badge in
    /// use, or one ever revoked (it may be lost or stolen), is refused.
    case assignBadge(BadgeID, holder: HolderID)
    /// Revokes a badge: it stays on record, so its reads are logged as `badge_revoked`, but never opens.
    case revokeBadge(BadgeID)
    /// Revokes a badge by its store id (for a card whose number is printed nowhere).
    case revokeBadgeID(Int64)
    /// Adds a registration `[from, until)`.
    case addRegistration(holder: HolderID, from: Date, until: Date)
    /// Removes a registration.
    case removeRegistration(Int64)
    /// Imports a registration file as planned (`RegistryReader.planImport`), all or nothing: holders matched by
    /// e-mail (unknown ones created as `visitor`), identical registrations skipped, overlaps kept and reported.
    case importRegistrations(ImportPlan)
    /// Stores a weekday's hours in place of the configuration's (empty: closed that day).
    case setWeekdayHours(Weekday, [OpeningInterval])
    /// Drops the stored hours of one weekday, or of every weekday (nil): the configuration's apply again.
    case resetWeekdayHours(Weekday?)
    /// Adds a closure or special hours.
    case addOverride(CalendarOverride)
    /// Removes a closure or special hours.
    case removeOverride(Int64)
    /// Stores the door mode (lockdown, hold-open, normal), so that a restart restores it.
    case setDoorMode(DoorMode)
}

/// What a change produced.
public enum ChangeResult: Hashable, Sendable {
    /// The holder added.
    case holder(Holder)
    /// The badge assigned.
    case badge(Badge)
    /// The registration added.
    case registration(Registration)
    /// The override added or removed, with its id.
    case override(CalendarOverride)
    /// The registration removed.
    case removedRegistration(Registration)
    /// What a holder's removal or erasure did.
    case removal(HolderRemoval)
    /// What an import did.
    case imported(ImportReport)
    /// Nothing to return (a removal, a mode, a suspension).
    case done
}

/// A committed change: its result and the events committed with it, oldest first — the events that were
/// waiting (`after:`), then the change's `admin_change`.
public struct AppliedChange: Hashable, Sendable {
    /// What the change produced.
    public let result: ChangeResult
    /// The events committed in the same transaction.
    public let logged: [LoggedEvent]

    /// Creates the value.
    public init(result: ChangeResult, logged: [LoggedEvent]) {
        self.result = result
        self.logged = logged
    }
}

/// A committed purge of old events.
public struct AppliedPurge: Hashable, Sendable {
    /// How many events were removed.
    public let removed: Int
    /// The last removed event, which the signed anchor names; nil when nothing was old enough.
    public let anchorSeq: Int64?
    /// The events committed in the same transaction: the waiting ones, then `log_purged`.
    public let logged: [LoggedEvent]

    /// Creates the value.
    public init(removed: Int, anchorSeq: Int64?, logged: [LoggedEvent]) {
        self.removed = removed
        self.anchorSeq = anchorSeq
        self.logged = logged
    }
}
