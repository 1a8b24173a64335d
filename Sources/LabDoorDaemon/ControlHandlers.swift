import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol

extension ControlRouter {
    /// labdoord's command table: every command of `ControlCommands.all`, each with its handler.
    static func standard(store: any AccessStore) -> ControlRouter {
        var router = ControlRouter()
        router.loop(StatusCommand.self) { _, _, daemon in StatusHandlers.status(daemon) }
        router.loop(DoorStatusCommand.self) { _, _, daemon in StatusHandlers.door(daemon) }
        router.query(HolderListCommand.self) { _, _ throws(ControlError) in
            try refused { () throws(StoreError) in try store.holders() }.map(HolderInfo.init)
        }
        router.loop(HolderAddCommand.self, RegistryHandlers.addHolder)
        router.loop(BadgeAssignCommand.self, RegistryHandlers.assignBadge)
        router.loop(BadgeRevokeCommand.self, RegistryHandlers.revokeBadge)
        router.loop(RegistrationAddCommand.self, RegistryHandlers.addRegistration)
        router.loop(DoorUnlockCommand.self, DoorHandlers.unlock)
        router.loop(DoorLockCommand.self, DoorHandlers.lock)
        router.loop(DoorLockdownCommand.self, DoorHandlers.lockdown)
        router.loop(DoorHoldOpenCommand.self, DoorHandlers.holdOpen)
        router.loop(DoorReleaseCommand.self, DoorHandlers.release)
        router.loop(DoorSimulateCommand.self, DoorHandlers.simulate)
        router.stream(EventsFollowCommand.self) { command, _, emit in
            EventFollower(store: store).follow(after: command.after, emit: emit)
        }
        router.loop(AuditPurgeCommand.self, RegistryHandlers.purge)
        return router
    }
}

extension HolderInfo {
    /// The protocol's form of a holder.
    init(_ holder: Holder) {
        self.init(
            id: holder.id.rawValue, name: holder.name, profile: holder.profile, organisation: holder.organisation,
            email: holder.email, suspended: holder.suspended)
    }
}

/// `status` and `door.status`.
enum StatusHandlers {
    static func door(_ daemon: isolated DoorDaemon) -> DoorStatus {
        var holdUntil: String?
        if case .holdOpen(let until) = daemon.controller.mode { holdUntil = UTCTimestamp.format(until) }
        let hasContact = daemon.config.door.backend == .sim || daemon.config.door.contactLine != nil
        return DoorStatus(
            backend: daemon.config.door.backend.rawValue,
            relay: daemon.controller.relayUnlocked ? "unlocked" : "locked",
            contact: hasContact ? (daemon.controller.doorOpen ? "open" : "closed") : "none",
            mode: daemon.controller.mode.name, holdUntil: holdUntil, failMode: daemon.config.door.failMode.rawValue)
    }

    static func status(_ daemon: isolated DoorDaemon) -> DaemonStatus {
        let config = daemon.config
        return DaemonStatus(
            site: config.siteName, timeZone: config.zone.identifier, door: door(daemon),
            readers: config.readers.map {
                DaemonStatus.Reader(
                    name: $0.name, backend: $0.backend.rawValue,
                    state: (daemon.readerStates[$0.name] ?? .starting).rawValue)
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

/// The data commands: each one change through the event sink, logged as one `admin_change` by the caller.
enum RegistryHandlers {
    static func addHolder(
        _ command: HolderAddCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> HolderInfo {
        guard daemon.config.profiles[command.profile] != nil else {
            throw ControlError(
                .badRequest,
                "profile \"\(command.profile)\" is not configured; configured: \(daemon.config.profiles.keys.sorted().joined(separator: ", "))"
            )
        }
        let change = RegistryChange.addHolder(
            name: command.name, profile: command.profile, organisation: command.organisation, email: command.email)
        guard
            case .holder(let holder) = try daemon.change(change, by: caller)
        else { throw ControlError(.failed, "the store added no holder") }
        return HolderInfo(holder)
    }

    static func assignBadge(
        _ command: BadgeAssignCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> BadgeAssigned {
        let number = try badge(command.number)
        let change = RegistryChange.assignBadge(number, holder: HolderID(rawValue: command.holder))
        guard
            case .badge(let badge) = try daemon.change(change, by: caller)
        else { throw ControlError(.failed, "the store assigned no badge") }
        return BadgeAssigned(holder: command.holder, last4: badge.lastFour, fingerprint: badge.fingerprint.rawValue)
    }

    static func revokeBadge(
        _ command: BadgeRevokeCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> BadgeRevoked {
        let number = try badge(command.number)
        _ = try daemon.change(.revokeBadge(number), by: caller)
        return BadgeRevoked(revoked: number.lastFour)
    }

    static func addRegistration(
        _ command: RegistrationAddCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> RegistrationInfo {
        let from = try daemon.instant(command.from, argument: "from")
        let until = try daemon.instant(command.until, argument: "until")
        guard from < until else { throw ControlError(.badRequest, "from must be before until") }
        let change = RegistryChange.addRegistration(
            holder: HolderID(rawValue: command.holder), from: from, until: until)
        guard
            case .registration(let registration) = try daemon.change(change, by: caller)
        else { throw ControlError(.failed, "the store added no registration") }
        return RegistrationInfo(
            id: registration.id, holder: command.holder, from: UTCTimestamp.format(from),
            until: UTCTimestamp.format(until))
    }

    static func purge(
        _ command: AuditPurgeCommand, _ caller: Caller, _ daemon: isolated DoorDaemon
    ) throws(ControlError) -> PurgeResult {
        let before = try daemon.instant(command.before, argument: "before")
        guard before <= daemon.ports.clock.now() else {
            throw ControlError(
                .badRequest, "before \(command.before) is in the future; nothing newer than now can be purged")
        }
        let applied = try refused { () throws(StoreError) in try daemon.purge(before: before, actor: caller.user) }
        return PurgeResult(
            removed: Int64(applied.removed), anchorSeq: applied.anchorSeq, before: UTCTimestamp.format(before))
    }

    private static func badge(_ text: String) throws(ControlError) -> BadgeID {
        do {
            return try BadgeID(parsing: text)
        } catch {
            throw ControlError(.badRequest, error.description)
        }
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

    /// A time typed by staff, in the site zone unless it has an offset.
    func instant(_ text: String, argument: String) throws(ControlError) -> Date {
        do {
            return try InstantParser.parse(text, zone: config.zone)
        } catch {
            throw ControlError(.badRequest, "\(argument): \(error.description)")
        }
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
