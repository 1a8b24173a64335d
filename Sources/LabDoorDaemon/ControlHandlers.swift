import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorStore

extension ControlRouter {
    /// labdoord's command table: every command of `ControlCommands.all`, each with its handler. Reads run on
    /// the client's thread (`query`: the store's reader connections and the published policy), changes on the
    /// decision loop.
    static func standard(
        store: any AccessStore, view: PolicyView, archive: LabDoorStore? = nil, snapshotDirectory: String = "/tmp"
    ) -> ControlRouter {
        var router = ControlRouter()
        let queries = RegistryQueries(store: store, view: view)
        let audit = AuditQueries(archive: archive, snapshotDirectory: snapshotDirectory, view: view)
        router.loop(StatusCommand.self) { _, _, daemon in StatusHandlers.status(daemon) }
        router.loop(DoorStatusCommand.self) { _, _, daemon in StatusHandlers.door(daemon) }
        router.query(HolderListCommand.self) { command, _ throws(ControlError) in try queries.holders(command) }
        router.query(HolderShowCommand.self) { command, _ throws(ControlError) in try queries.holder(command) }
        router.loop(HolderAddCommand.self, RegistryHandlers.addHolder)
        router.loop(HolderEditCommand.self, RegistryHandlers.editHolder)
        router.loop(HolderSuspendCommand.self) { command, caller, daemon throws(ControlError) in
            try RegistryHandlers.holderChange(.setSuspended(HolderID(rawValue: command.id), true), caller, daemon)
        }
        router.loop(HolderResumeCommand.self) { command, caller, daemon throws(ControlError) in
            try RegistryHandlers.holderChange(.setSuspended(HolderID(rawValue: command.id), false), caller, daemon)
        }
        router.loop(HolderRemoveCommand.self, RegistryHandlers.removeHolder)
        router.query(BadgeListCommand.self) { command, _ throws(ControlError) in try queries.badges(command) }
        router.loop(BadgeAssignCommand.self, RegistryHandlers.assignBadge)
        router.deferred(
            BadgeEnrolCommand.self, patience: EnrolmentHandlers.patience, EnrolmentHandlers.enrol,
            abandon: EnrolmentHandlers.abandon)
        router.loop(BadgeRevokeCommand.self, RegistryHandlers.revokeBadge)
        router.query(RegistrationListCommand.self) { command, _ throws(ControlError) in
            try queries.registrations(command)
        }
        router.loop(RegistrationAddCommand.self, RegistryHandlers.addRegistration)
        router.loop(RegistrationRemoveCommand.self, RegistryHandlers.removeRegistration)
        router.prepared(
            RegistrationImportCommand.self,
            answer: { command, _ throws(ControlError) in
                command.dryRun == true
                    ? ImportResult(try queries.planImport(try queries.importRows(command)).report) : nil
            },
            prepare: { command, _ throws(ControlError) in try queries.planImport(try queries.importRows(command)) },
            run: RegistryHandlers.importRegistrations)
        router.query(HoursShowCommand.self) { _, _ in queries.hours() }
        router.loop(HoursSetCommand.self, HoursHandlers.set)
        router.loop(HoursResetCommand.self, HoursHandlers.reset)
        router.loop(ClosureAddCommand.self, HoursHandlers.addClosure)
        router.loop(SpecialHoursAddCommand.self, HoursHandlers.addSpecialHours)
        router.query(ClosureListCommand.self) { command, _ throws(ControlError) in try queries.closures(command) }
        router.loop(ClosureRemoveCommand.self, HoursHandlers.removeClosure)
        router.query(HoursCalendarCommand.self) { command, _ throws(ControlError) in try queries.calendar(command) }
        router.loop(CheckCommand.self, CheckHandler.check)
        router.loop(DoorUnlockCommand.self, DoorHandlers.unlock)
        router.loop(DoorLockCommand.self, DoorHandlers.lock)
        router.loop(DoorLockdownCommand.self, DoorHandlers.lockdown)
        router.loop(DoorHoldOpenCommand.self, DoorHandlers.holdOpen)
        router.loop(DoorReleaseCommand.self, DoorHandlers.release)
        router.loop(DoorSimulateCommand.self, DoorHandlers.simulate)
        router.query(EventsListCommand.self) { command, _ throws(ControlError) in try queries.events(command) }
        router.stream(EventsFollowCommand.self) { command, _, emit throws(ControlError) in
            let filter = try queries.eventFilter(
                since: command.since, until: nil, holder: command.holder, outcome: command.outcome,
                reason: command.reason)
            EventFollower(store: store).follow(after: command.after, filter: filter, emit: emit)
        }
        router.loop(AuditPurgeCommand.self, RegistryHandlers.purge)
        router.query(AuditPubkeyCommand.self) { _, _ throws(ControlError) in try audit.keys() }
        router.query(AuditCheckpointCommand.self) { _, _ throws(ControlError) in try audit.latestCheckpoint() }
        router.query(AuditCheckpointsCommand.self) { command, _ throws(ControlError) in
            try audit.checkpoints(command)
        }
        router.stream(AuditSnapshotCommand.self) { _, _, emit throws(ControlError) in try audit.snapshot(emit: emit) }
        router.query(ReportCommand.self) { command, _ throws(ControlError) in
            try audit.report(command, now: Date())
        }
        return router
    }
}

/// `status` and `door.status`.
enum StatusHandlers {
    static func door(_ daemon: isolated DoorDaemon) -> DoorStatus {
        var holdUntil: String?
        if case .holdOpen(let until) = daemon.controller.mode { holdUntil = daemon.config.zone.iso(until) }
        let hasContact = daemon.config.door.backend == .sim || daemon.config.door.contactLine != nil
        return DoorStatus(
            backend: daemon.config.door.backend.rawValue,
            relay: daemon.controller.relayUnlocked ? "unlocked" : "locked",
            contact: hasContact ? (daemon.controller.doorOpen ? "open" : "closed") : "none",
            mode: daemon.controller.mode.name, holdUntil: holdUntil, failMode: daemon.config.door.failMode.rawValue)
    }

    static func status(_ daemon: isolated DoorDaemon) -> DaemonStatus {
        let config = daemon.config
        let (now, monotonic, _) = daemon.readClock()
        return DaemonStatus(
            site: config.siteName, timeZone: config.zone.identifier, door: door(daemon),
            readers: config.readers.map {
                DaemonStatus.Reader(
                    name: $0.name, backend: $0.backend.rawValue,
                    state: (daemon.readerStates[$0.name] ?? .starting).rawValue,
                    lockedOutUntil: daemon.remainingLockout(of: $0.name, at: monotonic).map {
                        config.zone.iso(now.addingTimeInterval($0.timeInterval))
                    })
            },
            log: DaemonStatus.Log(
                lastSeq: daemon.sink.lastSeq, pending: Int64(daemon.sink.pendingCount), degraded: daemon.sink.degraded),
            clock: DaemonStatus.Clock(
                trusted: daemon.ports.clock.isSynchronised(), source: config.clockTrust.rawValue))
    }
}

/// The door commands. Each staff action is logged once, as one `admin_change` by the caller: a mode change
/// through the store (which persists it), a timed unlock or a lock as its own event.
enum DoorHandlers {
    static func unlock(
        _ command: DoorUnlockCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> DoorStatus {
        let seconds = command.seconds ?? Int64(daemon.config.door.unlockSeconds)
        guard (1...DoorUnlockCommand.maximumSeconds).contains(seconds) else {
            throw ControlError(.badRequest, "for must be 1 s to 12 h, not \(seconds) s")
        }
        daemon.drive(
            .remoteUnlock(.seconds(seconds)),
            causes: [daemon.adminEvent(["action": .string("door_unlock"), "for": .int(seconds)], by: caller)])
        return StatusHandlers.door(daemon)
    }

    static func lock(
        _ command: DoorLockCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> DoorStatus {
        if case .holdOpen = daemon.controller.mode {
            // Ends the hold-open: the stored mode changes, and that change is the one admin event.
            _ = try daemon.change(.setDoorMode(.normal), by: caller)
            daemon.drive(.lock)
        } else {
            daemon.drive(.lock, causes: [daemon.adminEvent(["action": .string("door_lock")], by: caller)])
        }
        return StatusHandlers.door(daemon)
    }

    static func lockdown(
        _ command: DoorLockdownCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> DoorStatus {
        try setMode(command.on ? .lockdown : .normal, caller, daemon)
    }

    static func holdOpen(
        _ command: DoorHoldOpenCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> DoorStatus {
        let until = try daemon.instant(command.until, argument: "until")
        guard until > daemon.ports.clock.now() else { throw ControlError(.badRequest, "until must be in the future") }
        return try setMode(.holdOpen(until: until), caller, daemon)
    }

    static func release(
        _ command: DoorReleaseCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> DoorStatus {
        try setMode(.normal, caller, daemon)
    }

    static func simulate(
        _ command: DoorSimulateCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> DoorStatus {
        guard daemon.config.door.backend == .sim else {
            throw ControlError(.badRequest, "door simulate works only with [door] backend = \"sim\"")
        }
        let input: DoorSensorInput
        switch command.input {
        case "contact=open": input = .contact(open: true)
        case "contact=closed": input = .contact(open: false)
        case "exit": input = .exitButton
        default:
            throw ControlError(
                .badRequest, "input must be \(DoorSimulateCommand.inputs.joined(separator: ", ")), not \(command.input)"
            )
        }
        daemon.sensor(input)
        return StatusHandlers.door(daemon)
    }

    /// Stores the mode (its `admin_change`), then moves the door into it.
    private static func setMode(
        _ mode: DoorMode, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> DoorStatus {
        _ = try daemon.change(.setDoorMode(mode), by: caller)
        daemon.drive(.mode(mode))
        return StatusHandlers.door(daemon)
    }
}

extension DoorDaemon {
    /// An `admin_change` event by `caller` (details: the action and its parameters, no personal data).
    func adminEvent(_ details: KeyValuePairs<String, JSONValue>, by caller: Caller) -> EventRecord {
        let (now, _, trusted) = readClock()
        return EventRecord(
            time: now, kind: .adminChange, actor: caller.user,
            details: JSONValue.object(details.map { ($0.key, $0.value) }).description, clockTrusted: trusted)
    }

    /// Commits a data change for `caller` (logged as their `admin_change`); a store refusal becomes `refused`.
    func change(_ change: RegistryChange, by caller: Caller) throws(ControlError) -> ChangeResult {
        try refused { () throws(StoreError) in try apply(change, actor: caller.user) }
    }

    /// A time typed by staff, in the site zone unless it has an offset; as the end of a range (`end`), a date
    /// alone means the end of that day.
    func instant(_ text: String, argument: String, end: Bool = false) throws(ControlError) -> Date {
        try ControlArguments.instant(text, argument: argument, zone: config.zone, end: end)
    }
}

/// Parsing what staff typed, for handlers on the loop and on client threads alike.
enum ControlArguments {
    /// A time in `zone` unless it has an offset; as the end of a range (`end`), a date alone means the end of that
    /// day.
    static func instant(
        _ text: String, argument: String, zone: SiteZone, end: Bool = false
    ) throws(ControlError) -> Date {
        do {
            return end ? try InstantParser.parseEnd(text, zone: zone) : try InstantParser.parse(text, zone: zone)
        } catch {
            throw ControlError(.badRequest, "\(argument): \(error.description)")
        }
    }

    /// A date, `YYYY-MM-DD`.
    static func date(_ text: String, argument: String) throws(ControlError) -> LocalDate {
        guard let date = LocalDate(iso: text.trimmingCharacters(in: .whitespaces)) else {
            throw ControlError(.badRequest, "\(argument) \(text) is not a date; write YYYY-MM-DD, e.g. 2027-01-04")
        }
        return date
    }

    /// A badge number.
    static func badge(_ text: String) throws(ControlError) -> BadgeID {
        do {
            return try BadgeID(parsing: text)
        } catch {
            throw ControlError(.badRequest, error.description)
        }
    }

    /// A weekday: `monday`, `Mon`, …
    static func weekday(_ text: String) throws(ControlError) -> Weekday {
        let key = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let weekday = Weekday.allCases.first(where: { $0.configKey == key || $0.configKey.prefix(3) == key })
        else {
            throw ControlError(.badRequest, "\(text) is not a weekday; write monday … sunday (or mon … sun)")
        }
        return weekday
    }

    /// Opening intervals: `HH:MM-HH:MM[,HH:MM-HH:MM…]`, or `closed` (none) when `closedAllowed`.
    static func intervals(
        _ text: String, argument: String, closedAllowed: Bool
    ) throws(ControlError) -> [OpeningInterval] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if closedAllowed && trimmed.lowercased() == "closed" { return [] }
        var intervals: [OpeningInterval] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            guard let interval = OpeningInterval(parsing: part) else {
                throw ControlError(
                    .badRequest,
                    "\(argument) \(text): write HH:MM-HH:MM, several separated by commas (07:00-12:00,13:00-20:00)\(closedAllowed ? ", or closed" : "")"
                )
            }
            intervals.append(interval)
        }
        var table = WeeklyHours()
        do {
            try table.set(intervals, on: .monday)
        } catch {
            throw ControlError(.badRequest, "\(argument) \(text): \(error.description)")
        }
        return table[.monday]
    }
}

extension DoorMode {
    /// The mode's name in status and the log (`normal`, `lockdown`, `hold_open`).
    var name: String {
        switch self {
        case .normal: "normal"
        case .lockdown: "lockdown"
        case .holdOpen: "hold_open"
        }
    }
}
