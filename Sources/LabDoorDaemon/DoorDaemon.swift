import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorStore
import Logging

/// The decision loop: turns reader input into decisions, door actions and log entries, and serves control
/// requests — one input at a time, in arrival order. The relay is always driven before the event is
/// committed, so an fsync never delays the door.
actor DoorDaemon {
    private(set) var config: LabDoorConfiguration
    let configPath: String?
    let store: LabDoorStore
    let door: any DoorActuator
    let clock: any SiteClock
    let logger: Logger
    let notifier: SystemdNotifier
    private var alarms: AlarmHook
    private var decider: Decider
    private var controller: DoorController
    private var sink: EventSink
    private var readerStates: [String: String] = [:]
    private var lastClockOffset: Double?
    private var lastTrusted: Bool?
    private var lastWatchdog: MonotonicInstant?
    private var lastMetrics: MonotonicInstant?
    private var decisionCounts: [ReasonCode: Int] = [:]
    private var overridesCache: [CalendarOverride] = []
    /// Shows a decision on the reader that read the badge (USB readers' LEDs), if it can.
    var readerFeedback: (@Sendable (String, Bool) -> Void)?

    init(
        config: LabDoorConfiguration, configPath: String?, store: LabDoorStore, door: any DoorActuator,
        clock: any SiteClock,
        logger: Logger, notifier: SystemdNotifier
    ) {
        self.config = config
        self.configPath = configPath
        self.store = store
        self.door = door
        self.clock = clock
        self.logger = logger
        self.notifier = notifier
        self.alarms = AlarmHook(
            command: config.alarms.command, timeout: .seconds(config.alarms.timeoutSeconds), logger: logger)
        self.decider = Decider(policy: config.policy())
        self.controller = DoorController(settings: Self.doorSettings(config.door))
        self.sink = EventSink(store: store)
        for reader in config.readers { readerStates[reader.name] = "starting" }
    }

    static func doorSettings(_ door: DoorSettings) -> DoorController.Settings {
        DoorController.Settings(
            unlockDuration: .seconds(door.unlockSeconds), heldOpenAfter: .seconds(door.heldOpenSeconds))
    }

    // MARK: Lifecycle

    /// Logs the start (and an unclean previous stop), and restores the stored door mode.
    func start(uncleanPrevious: Bool, readerFeedback: (@Sendable (String, Bool) -> Void)?) {
        self.readerFeedback = readerFeedback
        let (now, mono, trusted) = readClock()
        var events: [EventRecord] = []
        if uncleanPrevious {
            events.append(
                EventRecord(
                    time: now, kind: .recoveredUncleanShutdown,
                    details: "labdoord did not stop cleanly last time; the relay was driven locked at start",
                    clockTrusted: trusted))
        }
        let readers = config.readers.map { "\($0.name):\($0.backend.rawValue)" }.joined(separator: ",")
        events.append(
            EventRecord(
                time: now, kind: .daemonStarted,
                details: JSONValue.object([
                    ("door", .string(config.door.backend.rawValue)), ("readers", .string(readers)),
                    ("clock_trusted", .bool(trusted)),
                ]).description, clockTrusted: trusted))
        let mode = (try? store.doorMode()) ?? .normal
        events += perform(controller.handle(.mode(mode), now: now, monotonic: mono), now: now, trusted: trusted)
        write(events)
        if uncleanPrevious { logger.warning("recovered from an unclean shutdown") }
        overridesCache = (try? store.overrides()) ?? []
        lastTrusted = trusted
    }

    /// Relocks, logs the stop, signs a final checkpoint and flushes the WAL.
    func shutdown() {
        let (now, mono, trusted) = readClock()
        var events = perform(controller.handle(.lock, now: now, monotonic: mono), now: now, trusted: trusted)
        do { try door.setRelay(unlocked: false, cause: "stop", holder: nil) } catch {
            logger.critical("cannot drive the relay locked at stop", metadata: ["error": "\(error)"])
        }
        events.append(EventRecord(time: now, kind: .daemonStopped, details: nil, clockTrusted: trusted))
        write(events)
        do {
            try store.checkpoint(kind: .shutdown, now: now, monotonic: mono)
            try store.flushWAL()
        } catch {
            logger.error("final checkpoint failed", metadata: ["error": "\(error)"])
        }
        if sink.pendingCount > 0 {
            logger.critical(
                "events could not be written before stopping", metadata: ["log.pending": "\(sink.pendingCount)"])
        }
    }

    /// Handles inputs until the stream ends.
    func run(_ inputs: AsyncStream<DaemonInput>) async {
        for await input in inputs {
            switch input {
            case .reader(let name, let input): reader(name, input)
            case .sensor(let input): sensor(input)
            case .request(let request, let caller, let reply): reply(handle(request, caller: caller))
            case .tick: tick()
            case .reload: reload()
            }
        }
    }

    // MARK: Clock

    private func readClock() -> (Date, MonotonicInstant, Bool) {
        (clock.now(), clock.monotonicNow(), clock.isSynchronised())
    }

    // MARK: Readers and badges

    private func reader(_ name: String, _ input: ReaderInput) {
        let (now, mono, trusted) = readClock()
        switch input {
        case .read(let text):
            badge(text, reader: name, now: now, monotonic: mono, trusted: trusted)
        case .rejected(let why):
            rejectInput(why, reader: name, now: now, monotonic: mono, trusted: trusted)
        case .attached(let details):
            readerStates[name] = "attached"
            logger.info("reader attached", metadata: ["reader": "\(name)", "reader.details": "\(details)"])
            write([EventRecord(time: now, kind: .readerAttached, reader: name, details: details, clockTrusted: trusted)]
            )
        case .detached(let details):
            readerStates[name] = "detached"
            alarm(EventRecord(time: now, kind: .readerDetached, reader: name, details: details, clockTrusted: trusted))
        case .deviceRejected(let details):
            write([EventRecord(time: now, kind: .readerRejected, reader: name, details: details, clockTrusted: trusted)]
            )
        }
    }

    private func rejectInput(_ why: String, reader: String, now: Date, monotonic: MonotonicInstant, trusted: Bool) {
        logger.notice("reader input rejected", metadata: ["reader": "\(reader)", "reader.reason": "\(why)"])
        door.signal(Decision(reason: .unknownBadge, explanation: "denied: the reader's input was not a badge read"))
        var events = [
            EventRecord(time: now, kind: .readerInputRejected, reader: reader, details: why, clockTrusted: trusted)
        ]
        if let length = decider.recordRejectedInput(reader: reader, monotonic: monotonic) {
            events.append(lockedOut(reader, length, now: now, trusted: trusted))
        }
        write(events)
    }

    private func lockedOut(_ reader: String, _ length: Duration, now: Date, trusted: Bool) -> EventRecord {
        let event = EventRecord(
            time: now, kind: .readerLockedOut, reader: reader,
            details: "more than 5 denied reads within 60 s; reads are refused for \(length.components.seconds) s",
            clockTrusted: trusted)
        alarms.fire(event, site: config.siteName)
        return event
    }

    private func badge(_ text: String, reader: String, now: Date, monotonic: MonotonicInstant, trusted: Bool) {
        let badge: BadgeID
        do {
            badge = try BadgeID(parsing: text)
        } catch {
            rejectInput(
                "not a badge number: \(error.description)", reader: reader, now: now, monotonic: monotonic,
                trusted: trusted)
            return
        }
        var credential: Credential?
        var fingerprint: BadgeFingerprint?
        do {
            fingerprint = try store.fingerprint(of: badge)
            if let fingerprint { credential = try store.credential(for: fingerprint) }
            overridesCache = try store.overrides()
        } catch {
            // The database cannot be read: deny (fail secure) and tell staff.
            logger.critical("cannot read the access database", metadata: ["error": "\(error)"])
            alarm(
                EventRecord(
                    time: now, kind: .logDegraded, details: "cannot read the access database: \(error)",
                    clockTrusted: trusted))
        }
        decider.policy = config.policy(overrides: overridesCache)
        let outcome = decider.decide(
            credential, reader: reader, now: now, monotonic: monotonic, mode: controller.mode, clockTrusted: trusted)
        let decision = outcome.decision
        decisionCounts[decision.reason, default: 0] += 1
        var doorEvents: [EventRecord] = []
        if decision.isGranted {
            doorEvents = perform(
                controller.handle(.granted(decision.holderID), now: now, monotonic: monotonic), now: now,
                trusted: trusted)
        }
        door.signal(decision)
        readerFeedback?(reader, decision.isGranted)
        logger.info(
            "badge decision",
            metadata: [
                "reader": "\(reader)", "badge.fingerprint": "\(fingerprint?.rawValue.prefix(12) ?? "-")",
                "decision.reason": "\(decision.reason.rawValue)",
                "holder.id": "\(decision.holderID?.description ?? "-")",
            ])
        var events =
            [EventRecord.decision(decision, badge: fingerprint, reader: reader, at: now, clockTrusted: trusted)]
            + doorEvents
        if let length = outcome.lockoutStarted { events.append(lockedOut(reader, length, now: now, trusted: trusted)) }
        write(events)
    }

    // MARK: Door

    private func sensor(_ input: DoorSensorInput) {
        let (now, mono, trusted) = readClock()
        let doorInput: DoorController.Input =
            switch input {
            case .contact(let open): .contact(open: open)
            case .exitButton: .exitRequest
            }
        write(perform(controller.handle(doorInput, now: now, monotonic: mono), now: now, trusted: trusted))
    }

    /// Carries out door actions: relays first, then returns the events (firing alarms) for the caller to log.
    private func perform(_ actions: [DoorController.Action], now: Date, trusted: Bool) -> [EventRecord] {
        var events: [EventRecord] = []
        var holderID: HolderID?
        for case .relay(let unlocked, let cause, let holder) in actions {
            holderID = holder ?? holderID
            do {
                try door.setRelay(unlocked: unlocked, cause: cause, holder: holder)
            } catch {
                logger.critical(
                    "cannot drive the relay", metadata: ["error": "\(error)", "relay.unlocked": "\(unlocked)"])
                let event = EventRecord(
                    time: now, kind: .logDegraded, details: "relay line error: \(error)", clockTrusted: trusted)
                alarms.fire(event, site: config.siteName)
                events.append(event)
            }
        }
        for case .event(let kind, let details, let isAlarm) in actions {
            let event = EventRecord(
                time: now, kind: kind, holderID: kind == .doorUnlocked ? holderID : nil, details: details,
                clockTrusted: trusted)
            if isAlarm { alarms.fire(event, site: config.siteName) }
            events.append(event)
        }
        return events
    }

    private func alarm(_ event: EventRecord) {
        alarms.fire(event, site: config.siteName)
        write([event])
    }

    private func write(_ events: [EventRecord]) {
        guard !events.isEmpty else { return }
        if let degraded = sink.write(events, logger: logger) {
            alarms.fire(degraded, site: config.siteName)
        }
    }

    // MARK: Ticks

    private func tick() {
        let (now, mono, trusted) = readClock()
        let modeBefore = controller.mode
        var events = perform(controller.handle(.tick, now: now, monotonic: mono), now: now, trusted: trusted)
        if controller.mode != modeBefore, controller.mode == .normal {
            // A hold-open ended by itself: persist it.
            try? store.setDoorMode(.normal, ChangeContext(actor: "labdoord", now: now, clockTrusted: trusted))
        }
        events += clockEvents(now: now, monotonic: mono, trusted: trusted)
        write(events)
        if let degraded = sink.flush(logger: logger) { alarms.fire(degraded, site: config.siteName) }
        if !sink.degraded {
            do { try store.checkpointIfDue(now: now, monotonic: mono) } catch {
                logger.error("checkpoint failed", metadata: ["error": "\(error)"])
            }
        }
        if let interval = notifier.watchdogInterval, lastWatchdog.map({ mono - $0 >= interval / 4 }) ?? true {
            notifier.watchdog()
            lastWatchdog = mono
        }
        if let path = config.metricsTextfile, lastMetrics.map({ mono - $0 >= .seconds(15) }) ?? true {
            lastMetrics = mono
            writeMetrics(path)
        }
    }

    private func clockEvents(now: Date, monotonic: MonotonicInstant, trusted: Bool) -> [EventRecord] {
        var events: [EventRecord] = []
        let offset = now.timeIntervalSince1970 - Double(monotonic.sinceOrigin.components.seconds)
        if let last = lastClockOffset, abs(offset - last) > 2 {
            let step = Int((offset - last).rounded())
            logger.warning("wall clock stepped", metadata: ["clock.step_seconds": "\(step)"])
            events.append(
                EventRecord(
                    time: now, kind: .clockStep, details: "the wall clock stepped by \(step) s", clockTrusted: trusted))
        }
        lastClockOffset = offset
        if let lastTrusted, lastTrusted != trusted {
            events.append(
                EventRecord(
                    time: now, kind: .clockStep,
                    details: trusted
                        ? "the clock is synchronised again"
                        : "the clock is no longer synchronised: only staff can enter",
                    clockTrusted: trusted))
        }
        lastTrusted = trusted
        return events
    }

    private func writeMetrics(_ path: String) {
        var lines = [
            "# HELP labdoor_relay_unlocked Whether the door relay is unlocked (1) or locked (0).",
            "# TYPE labdoor_relay_unlocked gauge", "labdoor_relay_unlocked \(controller.relayUnlocked ? 1 : 0)",
            "# HELP labdoor_log_pending_events Events waiting in memory because the log cannot be written.",
            "# TYPE labdoor_log_pending_events gauge", "labdoor_log_pending_events \(sink.pendingCount)",
            "# HELP labdoor_decisions_total Badge decisions since start, by reason.",
            "# TYPE labdoor_decisions_total counter",
        ]
        for reason in ReasonCode.allCases {
            lines.append("labdoor_decisions_total{reason=\"\(reason.rawValue)\"} \(decisionCounts[reason] ?? 0)")
        }
        lines.append("# HELP labdoor_reader_up Whether a reader is attached.")
        lines.append("# TYPE labdoor_reader_up gauge")
        for (name, state) in readerStates.sorted(by: { $0.key < $1.key }) {
            lines.append("labdoor_reader_up{reader=\"\(name)\"} \(state == "attached" ? 1 : 0)")
        }
        let temporary = path + ".tmp"
        do {
            try (lines.joined(separator: "\n") + "\n").write(toFile: temporary, atomically: false, encoding: .utf8)
            _ = rename(temporary, path)
        } catch {
            logger.error("cannot write metrics", metadata: ["metrics.path": "\(path)", "error": "\(error)"])
        }
    }

    // MARK: Reload

    private func reload() {
        notifier.reloading()
        defer { notifier.ready(status: status) }
        let (now, _, trusted) = readClock()
        guard let configPath else {
            logger.notice("reload requested, but the daemon runs without a configuration file")
            return
        }
        do {
            let new = try LabDoorConfiguration.load(path: configPath)
            var restartNeeded: [String] = []
            if new.paths != config.paths { restartNeeded.append("[paths]") }
            if new.readers != config.readers { restartNeeded.append("[[reader]]") }
            if new.door.backend != config.door.backend || new.door.chip != config.door.chip {
                restartNeeded.append("[door] backend/chip")
            }
            config = new
            decider.policy = new.policy(overrides: overridesCache)
            controller.settings = Self.doorSettings(new.door)
            alarms = AlarmHook(
                command: new.alarms.command, timeout: .seconds(new.alarms.timeoutSeconds), logger: logger)
            logger.notice(
                "configuration reloaded",
                metadata: ["config.restart_needed": "\(restartNeeded.joined(separator: ", "))"])
            write([
                EventRecord(
                    time: now, kind: .configReloaded,
                    details: JSONValue.object([
                        ("ok", .bool(true)), ("restart_needed", .array(restartNeeded.map(JSONValue.string))),
                    ]).description, clockTrusted: trusted)
            ])
            _ = try? store.checkpoint(kind: .config, now: now)
        } catch {
            logger.error(
                "configuration reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
            write([
                EventRecord(
                    time: now, kind: .configReloaded,
                    details: JSONValue.object([("ok", .bool(false)), ("error", .string(error.description))])
                        .description,
                    clockTrusted: trusted)
            ])
        }
    }

    // MARK: Control requests

    var status: String {
        "door \(controller.relayUnlocked ? "unlocked" : "locked"), mode \(modeName(controller.mode)), \(readerStates.count) reader(s)"
    }

    private func modeName(_ mode: DoorMode) -> String {
        switch mode {
        case .normal: "normal"
        case .lockdown: "lockdown"
        case .holdOpen: "hold_open"
        }
    }

    private func doorStatus() -> JSONValue {
        var holdUntil: JSONValue = .null
        if case .holdOpen(let until) = controller.mode { holdUntil = .string(UTCTimestamp.format(until)) }
        let hasContact = config.door.backend == .sim || config.door.contactLine != nil
        return .object([
            ("backend", .string(config.door.backend.rawValue)),
            ("relay", .string(controller.relayUnlocked ? "unlocked" : "locked")),
            ("contact", .string(hasContact ? (controller.doorOpen ? "open" : "closed") : "none")),
            ("mode", .string(modeName(controller.mode))), ("hold_until", holdUntil),
        ])
    }

    func handle(_ request: JSONValue, caller: Caller) -> JSONValue {
        let id = request["id"] ?? .null
        let args = request["args"] ?? .object([])
        guard let command = request["cmd"]?.stringValue else {
            return ControlServer.error(id: id, code: "bad_request", message: "a request needs \"cmd\"")
        }
        let readOnly: Set<String> = ["status", "door.status", "holder.list"]
        if !readOnly.contains(command) && caller.role < .admin {
            return ControlServer.error(
                id: id, code: "forbidden",
                message:
                    "permission denied: \(command) changes the door or its data; \(caller.user) may only read (add them to \(Caller.adminGroup))"
            )
        }
        do {
            let result = try perform(command, args, caller: caller)
            return ControlServer.success(id: id, result)
        } catch let failure as RequestFailure {
            return ControlServer.error(id: id, code: failure.code, message: failure.message)
        } catch {
            return ControlServer.error(id: id, code: "failed", message: "\(error)")
        }
    }

    struct RequestFailure: Error {
        let code: String
        let message: String
        static func bad(_ message: String) -> RequestFailure { RequestFailure(code: "bad_request", message: message) }
    }

    private func string(_ args: JSONValue, _ key: String) throws -> String {
        guard let value = args[key]?.stringValue, !value.isEmpty else {
            throw RequestFailure.bad("missing \"\(key)\" (a string)")
        }
        return value
    }

    private func holderID(_ args: JSONValue) throws -> HolderID {
        guard let id = args["holder"]?.intValue else { throw RequestFailure.bad("missing \"holder\" (a holder id)") }
        return HolderID(rawValue: id)
    }

    private func time(_ args: JSONValue, _ key: String) throws -> Date {
        do {
            return try InstantParser.parse(try string(args, key), zone: config.zone)
        } catch let error as InstantParser.ParseError {
            throw RequestFailure.bad("\(key): \(error.description)")
        }
    }

    private static func holderJSON(_ h: Holder) -> JSONValue {
        .object([
            ("id", .int(h.id.rawValue)), ("name", .string(h.name)), ("profile", .string(h.profile)),
            ("organisation", .optional(h.organisation)), ("email", .optional(h.email)),
            ("suspended", .bool(h.suspended)),
        ])
    }

    private func perform(_ command: String, _ args: JSONValue, caller: Caller) throws -> JSONValue {
        let (now, mono, trusted) = readClock()
        let context = ChangeContext(actor: caller.user, now: now, clockTrusted: trusted)
        func storeCall<T>(_ body: () throws(StoreError) -> T) throws -> T {
            do { return try body() } catch { throw RequestFailure(code: "refused", message: error.description) }
        }
        func doorCommand(_ input: DoorController.Input, _ details: JSONValue) -> JSONValue {
            var events = [
                EventRecord(
                    time: now, kind: .adminChange, actor: caller.user, details: details.description,
                    clockTrusted: trusted)
            ]
            events += perform(controller.handle(input, now: now, monotonic: mono), now: now, trusted: trusted)
            write(events)
            return doorStatus()
        }
        switch command {
        case "status":
            return .object([
                ("site", .string(config.siteName)), ("time_zone", .string(config.zone.identifier)),
                ("door", doorStatus()),
                (
                    "readers",
                    .array(
                        config.readers.map { r in
                            .object([
                                ("name", .string(r.name)), ("backend", .string(r.backend.rawValue)),
                                ("state", .string(readerStates[r.name] ?? "unknown")),
                            ])
                        })
                ),
                (
                    "log",
                    .object([
                        ("last_seq", .int(sink.lastSeq)), ("pending", .int(Int64(sink.pendingCount))),
                        ("degraded", .bool(sink.degraded)),
                    ])
                ),
                ("clock", .object([("trusted", .bool(trusted)), ("source", .string(config.clockTrust.rawValue))])),
            ])
        case "door.status":
            return doorStatus()
        case "holder.list":
            return .array(try storeCall { () throws(StoreError) in try store.holders() }.map(Self.holderJSON))
        case "holder.add":
            let name = try string(args, "name")
            let profile = try string(args, "profile")
            guard config.profiles[profile] != nil else {
                throw RequestFailure.bad(
                    "profile \"\(profile)\" is not configured; configured: \(config.profiles.keys.sorted().joined(separator: ", "))"
                )
            }
            let holder = try storeCall { () throws(StoreError) in
                try store.addHolder(
                    name: name, profile: profile, organisation: args["organisation"]?.stringValue,
                    email: args["email"]?.stringValue, context)
            }
            return Self.holderJSON(holder)
        case "badge.assign":
            let number = try badgeNumber(args)
            let holder = try holderID(args)
            let badge = try storeCall { () throws(StoreError) in try store.assignBadge(number, to: holder, context) }
            return .object([
                ("holder", .int(holder.rawValue)), ("last4", .string(badge.lastFour)),
                ("fingerprint", .string(badge.fingerprint.rawValue)),
            ])
        case "badge.revoke":
            let number = try badgeNumber(args)
            try storeCall { () throws(StoreError) in try store.revokeBadge(number, context) }
            return .object([("revoked", .string(number.lastFour))])
        case "registration.add":
            let holder = try holderID(args)
            let from = try time(args, "from")
            let until = try time(args, "until")
            guard from < until else { throw RequestFailure.bad("from must be before until") }
            let registration = try storeCall { () throws(StoreError) in
                try store.addRegistration(holder: holder, from: from, until: until, context)
            }
            return .object([
                ("id", .int(registration.id)), ("holder", .int(holder.rawValue)),
                ("from", .string(UTCTimestamp.format(from))),
                ("until", .string(UTCTimestamp.format(until))),
            ])
        case "door.unlock":
            let seconds = args["for"]?.intValue ?? Int64(config.door.unlockSeconds)
            guard (1...43_200).contains(seconds) else { throw RequestFailure.bad("for must be 1 s to 12 h") }
            return doorCommand(
                .remoteUnlock(.seconds(seconds)), .object([("action", .string("door_unlock")), ("for", .int(seconds))]))
        case "door.lock":
            if case .holdOpen = controller.mode {
                try storeCall { () throws(StoreError) in try store.setDoorMode(.normal, context) }
            }
            return doorCommand(.lock, .object([("action", .string("door_lock"))]))
        case "door.lockdown":
            guard let on = args["on"]?.boolValue else { throw RequestFailure.bad("missing \"on\" (true or false)") }
            let mode: DoorMode = on ? .lockdown : .normal
            try storeCall { () throws(StoreError) in try store.setDoorMode(mode, context) }
            write(perform(controller.handle(.mode(mode), now: now, monotonic: mono), now: now, trusted: trusted))
            return doorStatus()
        case "door.hold_open":
            let until = try time(args, "until")
            guard until > now else { throw RequestFailure.bad("until must be in the future") }
            try storeCall { () throws(StoreError) in try store.setDoorMode(.holdOpen(until: until), context) }
            write(
                perform(
                    controller.handle(.mode(.holdOpen(until: until)), now: now, monotonic: mono), now: now,
                    trusted: trusted))
            return doorStatus()
        case "door.release":
            try storeCall { () throws(StoreError) in try store.setDoorMode(.normal, context) }
            write(perform(controller.handle(.mode(.normal), now: now, monotonic: mono), now: now, trusted: trusted))
            return doorStatus()
        case "door.simulate":
            guard config.door.backend == .sim else {
                throw RequestFailure.bad("door simulate works only with [door] backend = \"sim\"")
            }
            let input = try string(args, "input")
            let sensorInput: DoorSensorInput
            switch input {
            case "contact=open": sensorInput = .contact(open: true)
            case "contact=closed": sensorInput = .contact(open: false)
            case "exit": sensorInput = .exitButton
            default: throw RequestFailure.bad("input must be contact=open, contact=closed or exit")
            }
            sensor(sensorInput)
            return doorStatus()
        default:
            throw RequestFailure(code: "unknown_command", message: "unknown command \"\(command)\"")
        }
    }

    private func badgeNumber(_ args: JSONValue) throws -> BadgeID {
        do {
            return try BadgeID(parsing: try string(args, "number"))
        } catch let error as BadgeID.ParseError {
            throw RequestFailure.bad(error.description)
        }
    }
}
