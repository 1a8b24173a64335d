import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol

/// The read-only commands, answered on the client's thread from the store's reader connections and the policy
/// the loop published: a listing of two million holders pages through them here and never reaches the loop.
struct RegistryQueries: Sendable {
    let store: any AccessStore
    let view: PolicyView

    private var zone: SiteZone { view.current.config.zone }

    func holders(_ command: HolderListCommand) throws(ControlError) -> Page<HolderInfo> {
        let limit = try Paging.limit(command.limit)
        let query = HolderQuery(
            profile: command.profile, suspended: command.suspended, search: command.search,
            includeRemoved: command.removed ?? false, after: command.after.map(HolderID.init(rawValue:)),
            limit: limit)
        let holders = try refused { () throws(StoreError) in try store.holders(query) }
        let zone = zone
        return Page(
            items: holders.map { HolderInfo($0, zone: zone) },
            nextAfter: holders.count == limit ? holders.last?.id.rawValue : nil)
    }

    func holder(_ command: HolderShowCommand) throws(ControlError) -> HolderShown {
        let id = HolderID(rawValue: command.id)
        let zone = zone
        return try refused { () throws(StoreError) in
            guard let holder = try store.holder(id) else { throw .notFound("holder \(id)") }
            return HolderShown(
                holder: HolderInfo(holder, zone: zone), lastEntry: try store.lastEntry(of: id).map(zone.iso))
        }
    }

    func badges(_ command: BadgeListCommand) throws(ControlError) -> Page<BadgeInfo> {
        let limit = try Paging.limit(command.limit)
        let badges = try refused { () throws(StoreError) in
            try store.badges(
                BadgeQuery(holder: command.holder.map(HolderID.init(rawValue:)), after: command.after, limit: limit))
        }
        let zone = zone
        return Page(
            items: badges.map { BadgeInfo($0, zone: zone) }, nextAfter: badges.count == limit ? badges.last?.id : nil)
    }

    func registrations(_ command: RegistrationListCommand) throws(ControlError) -> Page<RegistrationInfo> {
        let limit = try Paging.limit(command.limit)
        let zone = zone
        let activeAt = try command.activeAt.map { text throws(ControlError) in
            try ControlArguments.instant(text, argument: "active_at", zone: zone)
        }
        let registrations = try refused { () throws(StoreError) in
            try store.registrations(
                RegistrationQuery(
                    holder: command.holder.map(HolderID.init(rawValue:)), activeAt: activeAt, after: command.after,
                    limit: limit))
        }
        return Page(
            items: registrations.map { RegistrationInfo($0, zone: zone) },
            nextAfter: registrations.count == limit ? registrations.last?.id : nil)
    }

    /// The rows of an import file, checked in the site zone (on the client's thread: a 100,000-row file is
    /// parsed here, not on the loop).
    func importRows(_ command: RegistrationImportCommand) throws(ControlError) -> [ImportRow] {
        do {
            return try RegistrationCSV.rows(command.csv, zone: zone, ignoring: Set(command.ignoreColumns ?? []))
        } catch {
            throw ControlError(.badRequest, error.description)
        }
    }

    /// What the import of `rows` does, planned here on a reader connection: the dry run's answer, and what the
    /// loop applies (only inserts, unless a change came in between).
    func planImport(_ rows: [ImportRow]) throws(ControlError) -> ImportPlan {
        guard !rows.isEmpty else { throw ControlError(.badRequest, "the file has a header but no registrations") }
        return try refused { () throws(StoreError) in try store.planImport(rows) }
    }

    func hours() -> HoursTable {
        let snapshot = view.current
        return HoursTable(
            configured: snapshot.config.weeklyHours, stored: snapshot.weekdays, zone: snapshot.config.zone,
            holidays: snapshot.config.holidays)
    }

    func closures(_ command: ClosureListCommand) throws(ControlError) -> Page<OverrideInfo> {
        let limit = try Paging.limit(command.limit)
        let from = try command.from.map { text throws(ControlError) in
            try ControlArguments.date(text, argument: "from")
        }
        let after = command.after ?? 0
        let matching = view.current.overrides.filter { override in
            (override.id ?? 0) > after && (from.map { override.lastDay >= $0 } ?? true)
        }
        let page = Array(matching.prefix(limit))
        return Page(
            items: page.map(OverrideInfo.init), nextAfter: matching.count > limit ? page.last?.id : nil)
    }

    func calendar(_ command: HoursCalendarCommand) throws(ControlError) -> [CalendarDay] {
        let first = try ControlArguments.date(command.from, argument: "from")
        let last = try ControlArguments.date(command.to, argument: "to")
        guard first <= last else { throw ControlError(.badRequest, "from \(command.from) is after to \(command.to)") }
        guard last.dayNumber - first.dayNumber < HoursCalendarCommand.maximumDays else {
            throw ControlError(
                .badRequest,
                "the range is longer than \(HoursCalendarCommand.maximumDays) days; ask for fewer days at a time")
        }
        let calendar = view.current.policy.calendar
        return (first.dayNumber...last.dayNumber).map { CalendarDay(calendar.schedule(on: LocalDate(dayNumber: $0))) }
    }

    func events(_ command: EventsListCommand) throws(ControlError) -> Page<JSONValue> {
        let limit = try Paging.limit(command.limit)
        var filter = try eventFilter(
            since: command.since, until: command.until, holder: command.holder, outcome: command.outcome,
            reason: command.reason)
        filter.first = limit
        if let after = command.after {
            filter.afterSeq = after
        } else if let tail = command.tail {
            guard tail >= 1 else { throw ControlError(.badRequest, "tail must be at least 1") }
            let matching = filter
            filter.afterSeq = try refused { () throws(StoreError) in
                try store.startOfNewest(matching, count: Int(clamping: tail))
            }
        }
        let page = filter
        return try refused { () throws(StoreError) in
            let events = try store.events(page)
            return Page(
                items: try EventListing.named(events, store),
                nextAfter: events.count == limit ? events.last?.seq : nil)
        }
    }

    /// The filter of `events.list` and `events.follow`, from the arguments as typed (times in the site zone).
    func eventFilter(
        since: String?, until: String?, holder: Int64?, outcome: String?, reason: String?
    ) throws(ControlError) -> EventFilter {
        let zone = zone
        func time(_ text: String?, _ argument: String) throws(ControlError) -> Date? {
            guard let text else { return nil }
            return try ControlArguments.instant(text, argument: argument, zone: zone)
        }
        let outcome = try outcome.map { text throws(ControlError) in
            guard let outcome = Outcome(rawValue: text) else {
                throw ControlError(.badRequest, "outcome must be granted or denied, not \(text)")
            }
            return outcome
        }
        let reason = try reason.map { text throws(ControlError) in
            guard let reason = ReasonCode(rawValue: text) else {
                throw ControlError(
                    .badRequest,
                    "reason \(text) is not a reason code; use one of: \(ReasonCode.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            return reason
        }
        return EventFilter(
            since: try time(since, "since"), until: try time(until, "until"),
            holderID: holder.map(HolderID.init(rawValue:)), outcome: outcome, reason: reason)
    }
}

extension EventListing {
    /// Events in their documented JSON with the holders' names joined in (one query per page).
    static func named(_ events: [LoggedEvent], _ store: any AccessStore) throws(StoreError) -> [JSONValue] {
        let names = try store.holderNames(Set(events.compactMap(\.record.holderID)))
        return events.map { json($0, names: names) }
    }
}

extension ImportResult {
    /// The protocol's form of an import report.
    init(_ report: ImportReport) {
        self.init(
            dryRun: report.dryRun, rows: Int64(report.rows), added: Int64(report.added),
            duplicateLines: report.duplicateLines.map(Int64.init),
            newHolders: report.newHolders.map {
                NewHolder(line: Int64($0.line), id: $0.id?.rawValue, email: $0.email, name: $0.name)
            },
            overlaps: report.overlaps.map {
                Overlap(
                    line: Int64($0.line), holder: $0.holder?.rawValue, email: $0.email, registration: $0.registration,
                    otherLine: $0.otherLine.map(Int64.init))
            })
    }
}
