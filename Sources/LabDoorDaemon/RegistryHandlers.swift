import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol

/// The data commands on the decision loop: each is one change through the event sink, logged as one
/// `admin_change` by the caller (no names or e-mails in it).
enum RegistryHandlers {
    static func addHolder(
        _ command: HolderAddCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> HolderInfo {
        try requireProfile(command.profile, daemon)
        return try holderChange(
            .addHolder(
                name: command.name, profile: command.profile, organisation: command.organisation,
                email: command.email), caller, daemon)
    }

    static func editHolder(
        _ command: HolderEditCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> HolderInfo {
        if let profile = command.profile { try requireProfile(profile, daemon) }
        let edit = HolderEdit(
            name: command.name, profile: command.profile, organisation: command.organisation, email: command.email)
        return try holderChange(.editHolder(HolderID(rawValue: command.id), edit), caller, daemon)
    }

    /// A change whose result is a holder.
    static func holderChange(
        _ change: RegistryChange, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> HolderInfo {
        guard case .holder(let holder) = try daemon.change(change, by: caller) else {
            throw ControlError(.failed, "the store returned no holder")
        }
        return HolderInfo(holder, zone: daemon.config.zone)
    }

    static func removeHolder(
        _ command: HolderRemoveCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> HolderRemoved {
        let id = HolderID(rawValue: command.id)
        let erase = command.erase ?? false
        guard case .removal(let removal) = try daemon.change(erase ? .eraseHolder(id) : .removeHolder(id), by: caller)
        else { throw ControlError(.failed, "the store returned no removal") }
        return HolderRemoved(
            id: removal.holder.rawValue, erased: removal.erased, badges: Int64(removal.badges),
            registrations: Int64(removal.registrations))
    }

    static func assignBadge(
        _ command: BadgeAssignCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> BadgeInfo {
        let number = try ControlArguments.badge(command.number)
        return try badgeChange(.assignBadge(number, holder: HolderID(rawValue: command.holder)), caller, daemon)
    }

    static func revokeBadge(
        _ command: BadgeRevokeCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> BadgeInfo {
        switch (command.number, command.id) {
        case (let number?, nil):
            return try badgeChange(.revokeBadge(try ControlArguments.badge(number)), caller, daemon)
        case (nil, let id?): return try badgeChange(.revokeBadgeID(id), caller, daemon)
        default: throw ControlError(.badRequest, "give the badge's number or its id (badge list), not both")
        }
    }

    /// A change whose result is a badge.
    static func badgeChange(
        _ change: RegistryChange, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> BadgeInfo {
        guard case .badge(let badge) = try daemon.change(change, by: caller) else {
            throw ControlError(.failed, "the store returned no badge")
        }
        return BadgeInfo(badge, zone: daemon.config.zone)
    }

    static func addRegistration(
        _ command: RegistrationAddCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> RegistrationInfo {
        let from = try daemon.instant(command.from, argument: "from")
        let until = try daemon.instant(command.until, argument: "until", end: true)
        guard from < until else { throw ControlError(.badRequest, "from must be before until") }
        let change = RegistryChange.addRegistration(
            holder: HolderID(rawValue: command.holder), from: from, until: until)
        guard case .registration(let registration) = try daemon.change(change, by: caller) else {
            throw ControlError(.failed, "the store added no registration")
        }
        return RegistrationInfo(registration, zone: daemon.config.zone)
    }

    static func removeRegistration(
        _ command: RegistrationRemoveCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> RegistrationInfo {
        guard
            case .removedRegistration(let registration) = try daemon.change(.removeRegistration(command.id), by: caller)
        else { throw ControlError(.failed, "the store removed no registration") }
        return RegistrationInfo(registration, zone: daemon.config.zone)
    }

    /// Imports a file already parsed, checked and planned on the client's thread, in one transaction.
    static func importRegistrations(
        _ plan: ImportPlan, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> ImportResult {
        guard case .imported(let report) = try daemon.change(.importRegistrations(plan), by: caller) else {
            throw ControlError(.failed, "the store imported nothing")
        }
        return ImportResult(report)
    }

    static func purge(
        _ command: AuditPurgeCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> PurgeResult {
        let before = try daemon.instant(command.before, argument: "before")
        let now = daemon.ports.clock.now()
        guard before <= now else {
            throw ControlError(
                .badRequest, "before \(command.before) is in the future; nothing newer than now can be purged")
        }
        let retention = daemon.config.retentionDays
        let kept = now.addingTimeInterval(-Double(retention) * 86_400)
        if before > kept, command.force != true {
            throw ControlError(
                .badRequest,
                "events younger than the retention period (\(retention) days, [log] retention_days) are kept: the latest cut-off is \(daemon.config.zone.iso(kept)); pass --force to purge younger events anyway"
            )
        }
        let zone = daemon.config.zone
        if command.dryRun == true {
            let store = daemon.ports.store
            let preview = try refused { () throws(StoreError) in try store.purgePreview(before: before) }
            return PurgeResult(
                removed: Int64(preview.removed), anchorSeq: preview.anchorSeq, before: zone.iso(before), dryRun: true)
        }
        let applied = try refused { () throws(StoreError) in try daemon.purge(before: before, actor: caller.user) }
        return PurgeResult(
            removed: Int64(applied.removed), anchorSeq: applied.anchorSeq, before: zone.iso(before), dryRun: false)
    }

    private static func requireProfile(_ profile: String, _ daemon: isolated DoorDaemon) throws(ControlError) {
        guard daemon.config.profiles[profile] == nil else { return }
        throw ControlError(
            .badRequest,
            "profile \"\(profile)\" is not configured; configured: \(daemon.config.profiles.keys.sorted().joined(separator: ", "))"
        )
    }
}

/// The hours commands that change the calendar: each is in force for the next badge read.
enum HoursHandlers {
    static func set(
        _ command: HoursSetCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> HoursTable {
        let weekday = try ControlArguments.weekday(command.weekday)
        let intervals = try ControlArguments.intervals(command.hours, argument: "hours", closedAllowed: true)
        _ = try daemon.change(.setWeekdayHours(weekday, intervals), by: caller)
        return table(daemon)
    }

    static func reset(
        _ command: HoursResetCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> HoursTable {
        let weekday = try command.weekday.map { text throws(ControlError) in try ControlArguments.weekday(text) }
        _ = try daemon.change(.resetWeekdayHours(weekday), by: caller)
        return table(daemon)
    }

    static func addClosure(
        _ command: ClosureAddCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> OverrideInfo {
        let first = try ControlArguments.date(command.from, argument: "from")
        let last = try command.to.map { text throws(ControlError) in try ControlArguments.date(text, argument: "to") }
        let reason = command.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw ControlError(.badRequest, "a closure needs a reason (visitors see it)") }
        return try add(
            CalendarOverride(firstDay: first, lastDay: last ?? first, kind: .closed(reason: reason)), caller, daemon)
    }

    static func addSpecialHours(
        _ command: SpecialHoursAddCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> OverrideInfo {
        let first = try ControlArguments.date(command.date, argument: "date")
        let last = try command.to.map { text throws(ControlError) in try ControlArguments.date(text, argument: "to") }
        let intervals = try ControlArguments.intervals(command.hours, argument: "hours", closedAllowed: false)
        let reason = command.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw ControlError(.badRequest, "special hours need a reason") }
        return try add(
            CalendarOverride(firstDay: first, lastDay: last ?? first, kind: .hours(intervals, note: reason)), caller,
            daemon)
    }

    static func removeClosure(
        _ command: ClosureRemoveCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> OverrideInfo {
        guard case .override(let removed) = try daemon.change(.removeOverride(command.id), by: caller) else {
            throw ControlError(.failed, "the store removed nothing")
        }
        return OverrideInfo(removed)
    }

    private static func add(
        _ override: CalendarOverride, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> OverrideInfo {
        guard override.firstDay <= override.lastDay else {
            throw ControlError(.badRequest, "to (\(override.lastDay)) is before the first date (\(override.firstDay))")
        }
        guard case .override(let added) = try daemon.change(.addOverride(override), by: caller) else {
            throw ControlError(.failed, "the store added nothing")
        }
        return OverrideInfo(added)
    }

    private static func table(_ daemon: isolated DoorDaemon) -> HoursTable {
        let snapshot = daemon.view.current
        return HoursTable(
            configured: snapshot.config.weeklyHours, stored: snapshot.weekdays, zone: snapshot.config.zone,
            holidays: snapshot.config.holidays)
    }
}

/// `check`: the what-if, on the loop because it asks the door mode in force (one credential read: as cheap as
/// a badge read). Nothing is logged and the door is not touched.
enum CheckHandler {
    static func check(
        _ command: CheckCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> CheckResult {
        let badge = try ControlArguments.badge(command.badge)
        if let reader = command.reader, !daemon.config.readers.contains(where: { $0.name == reader }) {
            throw ControlError(
                .badRequest,
                "no reader \(reader) is configured; configured: \(daemon.config.readers.map(\.name).joined(separator: ", "))"
            )
        }
        let (now, _, trusted) = daemon.readClock()
        let at = try command.at.map { text throws(ControlError) in try daemon.instant(text, argument: "at") } ?? now
        let credential = try refused { () throws(StoreError) in
            try daemon.ports.store.credential(for: try daemon.ports.store.fingerprint(of: badge))
        }
        let decision = daemon.wouldDecide(credential, at: at, clockTrusted: command.at == nil ? trusted : true)
        return CheckResult(
            badge: badge, credential: credential, decision: decision, at: at, zone: daemon.config.zone,
            reader: command.reader)
    }
}
