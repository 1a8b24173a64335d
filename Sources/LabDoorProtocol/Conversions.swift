public import Foundation
public import LabDoorCore

// The protocol's forms of the registry's values, shared by the daemon and by labdoorctl's offline (`--db`)
// commands, so that both print the same JSON.

extension HolderInfo {
    /// A holder, times in `zone`.
    public init(_ holder: LabDoorCore.Holder, zone: SiteZone) {
        self.init(
            id: holder.id.rawValue, name: holder.name, profile: holder.profile, organisation: holder.organisation,
            email: holder.email, suspended: holder.suspended, createdAt: holder.createdAt.map(zone.iso),
            removedAt: holder.removedAt.map(zone.iso))
    }
}

extension BadgeInfo {
    /// A badge, times in `zone`.
    public init(_ badge: Badge, zone: SiteZone) {
        self.init(
            id: badge.id ?? 0, holder: badge.holderID.rawValue, last4: badge.lastFour,
            fingerprint: badge.fingerprint.rawValue, assignedAt: badge.assignedAt.map(zone.iso), revoked: badge.revoked,
            revokedAt: badge.revokedAt.map(zone.iso))
    }
}

extension RegistrationInfo {
    /// A registration, times in `zone`.
    public init(_ registration: Registration, zone: SiteZone) {
        self.init(
            id: registration.id, holder: registration.holderID.rawValue, from: zone.iso(registration.from),
            until: zone.iso(registration.until))
    }
}

extension OverrideInfo {
    /// A closure or special hours.
    public init(_ override: CalendarOverride) {
        let (kind, reason, hours): (String, String, [String]) =
            switch override.kind {
            case .closed(let reason): ("closed", reason, [])
            case .hours(let intervals, let note): ("hours", note, intervals.map(\.description))
            }
        self.init(
            id: override.id ?? 0, kind: kind, from: override.firstDay.description, to: override.lastDay.description,
            reason: reason, hours: hours)
    }
}

extension CalendarDay {
    /// One day of a calendar.
    public init(_ day: DaySchedule) {
        let note: String? =
            switch day.closedReason {
            case .closure(let reason)?: reason
            default: day.note
            }
        self.init(
            date: day.date.description, weekday: day.date.weekday.shortName, open: day.isOpen,
            reason: day.closedReason?.reasonCode.rawValue, holiday: day.holiday?.name,
            hours: day.hours.map { Interval(from: "\($0.start)", to: "\($0.end)") }, note: note)
    }
}

extension HoursTable {
    /// The weekly table in force: `configured` with the `stored` weekdays in place of its own.
    public init(
        configured: WeeklyHours, stored: [StoredWeekdayHours], zone: SiteZone, holidays: HolidayRule
    ) {
        let byDay = Dictionary(stored.map { ($0.weekday, $0) }, uniquingKeysWith: { $1 })
        let inForce = configured.overridden(by: stored)
        self.init(
            timeZone: zone.identifier, holidays: holidays.rawValue,
            days: Weekday.allCases.map { weekday in
                let stored = byDay[weekday]
                return Day(
                    weekday: weekday.configKey, hours: inForce[weekday].map(\.description),
                    source: stored == nil ? "config" : "database", setBy: stored?.setBy,
                    setAt: stored.map { zone.iso($0.setAt) })
            })
    }
}

extension CheckResult {
    /// The what-if answer for `badge`, decided `decision` at `at`.
    public init(badge: BadgeID, credential: Credential?, decision: Decision, at: Date, zone: SiteZone, reader: String?)
    {
        self.init(
            badgeLast4: badge.lastFour,
            holder: credential.map {
                Holder(id: $0.holder.id.rawValue, name: $0.holder.name, profile: $0.holder.profile)
            }, decision: decision.isGranted ? "granted" : "denied", reason: decision.reason.rawValue,
            explanation: decision.explanation, at: zone.iso(at), reader: reader)
    }
}

/// Events as staff and auditors see them: the log's JSON with the holder's name joined in.
public enum EventListing {
    /// The name shown for a holder id the registry no longer has (erased).
    public static func erased(_ id: HolderID) -> String { "erased #\(id)" }

    /// `event`'s JSON (docs/cli.md) with `holder_name` after `holder`: the name from `names`, `erased #ID` when the
    /// holder is gone, or null for an event without a holder.
    public static func json(_ event: LoggedEvent, names: [HolderID: String]) -> JSONValue {
        guard case .object(let members) = event.json else { return event.json }
        let name: JSONValue = event.record.holderID.map { .string(names[$0] ?? erased($0)) } ?? .null
        var joined: [(String, JSONValue)] = []
        for member in members {
            joined.append(member)
            if member.0 == "holder" { joined.append(("holder_name", name)) }
        }
        return .object(joined)
    }
}
