import Foundation
import LabDoorConfig
import LabDoorCore
import Logging

/// The decision loop: turns reader input into decisions, door actions and log entries, and carries out control
/// requests — one input at a time, in arrival order, on a thread of its own (`DedicatedThreadExecutor`).
///
/// Durability (DESIGN.md): while the log is healthy, the events that explain an unlock (a grant, a remote unlock,
/// an exit request) are committed before the relay moves, so a door that opened always has its record; a
/// denial is shown first and committed right after; while the log is degraded the relay goes first and the
/// events wait in the event sink.
actor DoorDaemon {
    private nonisolated let executor = DedicatedThreadExecutor(name: "labdoord.loop")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private(set) var config: LabDoorConfiguration
    let configPath: String?
    let ports: DaemonPorts
    let logger: Logger
    let notifier: SystemdNotifier
    private(set) var alarms: any AlarmPort
    private var decider: Decider
    private(set) var controller: DoorController
    private(set) var sink: EventSink
    private(set) var readerStates: [String: ReaderState] = [:]
    private var clockMonitor = ClockMonitor()
    private var lastWatchdog: MonotonicInstant?
    private var lastMetrics: MonotonicInstant?
    private(set) var metrics = DaemonMetrics()
    /// The calendar overrides in force; the daemon is the database's only writer, so it refreshes them when it
    /// changes them rather than on every read.
    private var overrides: [CalendarOverride] = []
    /// The weekday hours `hours set` stored, refreshed like the overrides.
    private var weekdays: [StoredWeekdayHours] = []
    /// The policy inputs, published for queries on client threads.
    nonisolated let view: PolicyView
    /// Readers waiting to enrol their next read as a badge (`badge.enrol`), by reader name.
    var enrolments: [String: Enrolment] = [:]

    init(
        config: LabDoorConfiguration, configPath: String?, ports: DaemonPorts, lastSeq: Int64, logger: Logger,
        notifier: SystemdNotifier
    ) {
        self.config = config
        self.configPath = configPath
        self.ports = ports
        self.logger = logger
        self.notifier = notifier
        self.alarms = ports.alarms(config.alarms)
        self.decider = Decider(policy: config.policy())
        self.controller = DoorController(settings: Self.doorSettings(config.door))
        self.sink = EventSink(store: ports.store, lastSeq: lastSeq)
        self.view = PolicyView(PolicyView.Snapshot(config: config, overrides: [], weekdays: []))
        for reader in config.readers { readerStates[reader.name] = .starting }
    }

    static func doorSettings(_ door: DoorSettings) -> DoorController.Settings {
        DoorController.Settings(
            unlockDuration: .seconds(door.unlockSeconds), heldOpenAfter: .seconds(door.heldOpenSeconds))
    }

    // MARK: Lifecycle

    /// Logs the start (and an unclean previous stop), and restores the stored door mode and overrides.
    func start(uncleanPrevious: Bool) {
        let (now, mono, trusted) = readClock()
        _ = clockMonitor.observe(now: now, monotonic: mono, trusted: trusted)
        var events: [EventRecord] = []
        if uncleanPrevious {
            logger.warning("recovered from an unclean shutdown")
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
                    ("door", .string(config.door.backend.rawValue)),
                    ("fail_mode", .string(config.door.failMode.rawValue)),
                    ("readers", .string(readers)), ("clock_trusted", .bool(trusted)),
                ]).description, clockTrusted: trusted))
        write(events, now: now)
        refreshOverrides()
        let mode: DoorMode
        do {
            mode = try ports.store.doorMode()
        } catch {
            logger.error(
                "cannot read the stored door mode; starting in normal mode", metadata: ["error": "\(error)"])
            mode = .normal
        }
        act(controller.handle(.mode(mode), now: now, monotonic: mono), now: now, trusted: trusted)
    }

    /// Relocks, logs the stop, signs a final checkpoint and flushes the WAL.
    func shutdown() {
        cancelEnrolments()
        let (now, mono, trusted) = readClock()
        act(controller.handle(.lock, now: now, monotonic: mono), now: now, trusted: trusted)
        do { try ports.door.setRelay(unlocked: false, cause: "stop", holder: nil) } catch {
            logger.critical("cannot drive the relay locked at stop", metadata: ["error": "\(error)"])
        }
        write([EventRecord(time: now, kind: .daemonStopped, details: nil, clockTrusted: trusted)], now: now)
        do {
            try ports.store.signCheckpoint(kind: .shutdown, now: now, monotonic: mono)
            try ports.store.flushWAL()
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
        for await input in inputs { handle(input) }
    }

    /// Handles one input.
    func handle(_ input: DaemonInput) {
        switch input {
        case .reader(let name, let input): reader(name, input)
        case .sensor(let input): sensor(input)
        case .request(let request): request.run(self)
        case .tick: tick()
        case .reload(let result): reload(result)
        }
    }

    // MARK: Clock

    func readClock() -> (Date, MonotonicInstant, Bool) {
        (ports.clock.now(), ports.clock.monotonicNow(), ports.clock.isSynchronised())
    }

    /// How long `reader` stays locked out after too many denied reads, or nil.
    func remainingLockout(of reader: String, at monotonic: MonotonicInstant) -> Duration? {
        decider.remainingLockout(of: reader, at: monotonic)
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
            readerStates[name] = .attached
            logger.info("reader attached", metadata: ["reader": "\(name)", "reader.details": "\(details)"])
            write(
                [EventRecord(time: now, kind: .readerAttached, reader: name, details: details, clockTrusted: trusted)],
                now: now)
        case .detached(let details):
            readerStates[name] = .detached
            alarm(
                EventRecord(time: now, kind: .readerDetached, reader: name, details: details, clockTrusted: trusted),
                now: now)
        case .notice(let details):
            logger.notice("reader notice", metadata: ["reader": "\(name)", "reader.details": "\(details)"])
        case .deviceRejected(let details):
            write(
                [EventRecord(time: now, kind: .readerRejected, reader: name, details: details, clockTrusted: trusted)],
                now: now)
        }
    }

    private func rejectInput(_ why: String, reader: String, now: Date, monotonic: MonotonicInstant, trusted: Bool) {
        logger.notice("reader input rejected", metadata: ["reader": "\(reader)", "reader.reason": "\(why)"])
        let decision = Decision(reason: .unknownBadge, explanation: "denied: the reader's input was not a badge read")
        show(decision, on: reader)
        var events = [
            EventRecord(time: now, kind: .readerInputRejected, reader: reader, details: why, clockTrusted: trusted)
        ]
        if let length = decider.recordRejectedInput(reader: reader, monotonic: monotonic) {
            events.append(lockedOut(reader, length, now: now, trusted: trusted))
        }
        write(events, now: now)
    }

    private func lockedOut(_ reader: String, _ length: Duration, now: Date, trusted: Bool) -> EventRecord {
        let rules = decider.lockoutRules
        let event = EventRecord(
            time: now, kind: .readerLockedOut, reader: reader,
            details:
                "more than \(rules.maxDenials) denied reads within \(rules.window.components.seconds) s; reads are refused for \(length.components.seconds) s",
            clockTrusted: trusted)
        alarms.raise(event, site: config.siteName)
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
        if let enrolment = enrolments.removeValue(forKey: reader) {
            if enrolment.deadline > monotonic {
                enrol(badge, enrolment, reader: reader, now: now, trusted: trusted)
                return
            }
            enrolments[reader] = enrolment
            expireEnrolments(monotonic: monotonic)
        }
        var credential: Credential?
        var fingerprint: BadgeFingerprint?
        do {
            fingerprint = try ports.store.fingerprint(of: badge)
            if let fingerprint { credential = try ports.store.credential(for: fingerprint) }
        } catch {
            // The database cannot be read: deny (fail secure) and tell staff.
            logger.critical("cannot read the access database", metadata: ["error": "\(error)"])
            alarm(
                EventRecord(
                    time: now, kind: .logDegraded, details: "cannot read the access database: \(error)",
                    clockTrusted: trusted), now: now)
        }
        let outcome = decider.decide(
            credential, reader: reader, now: now, monotonic: monotonic, mode: controller.mode, clockTrusted: trusted)
        let decision = outcome.decision
        metrics.count(decision.reason)
        let decided = ports.clock.monotonicNow()
        var events = [
            EventRecord.decision(decision, badge: fingerprint, reader: reader, at: now, clockTrusted: trusted)
        ]
        if let length = outcome.lockoutStarted { events.append(lockedOut(reader, length, now: now, trusted: trusted)) }
        if decision.isGranted {
            act(
                controller.handle(.granted(decision.holderID), now: now, monotonic: monotonic), causes: events,
                now: now, trusted: trusted)
            show(decision, on: reader)
        } else {
            show(decision, on: reader)
            write(events, now: now)
        }
        // After the door moved, with what it took: from the complete read to the decision, and to the event
        // committed (for a grant the relay moved right after the commit; a denial is shown first).
        logger.info(
            "badge decision",
            metadata: [
                "reader": "\(reader)", "badge.fingerprint": "\(fingerprint?.rawValue.prefix(12) ?? "-")",
                "decision.reason": "\(decision.reason.rawValue)",
                "holder.id": "\(decision.holderID?.description ?? "-")",
                "decision.us": "\(Self.microseconds(decided - monotonic))",
                "durable.us": "\(Self.microseconds(ports.clock.monotonicNow() - monotonic))",
            ])
    }

    private static func microseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
    }

    /// Shows a decision at the door (LEDs, buzzer) and on the reader that read the badge.
    private func show(_ decision: Decision, on reader: String) {
        ports.door.signal(decision)
        for port in ports.readers where port.readerNames.contains(reader) { port.show(decision, on: reader) }
    }

    // MARK: Door

    func sensor(_ input: DoorSensorInput) {
        let (now, mono, trusted) = readClock()
        let doorInput: DoorController.Input =
            switch input {
            case .contact(let open): .contact(open: open)
            case .exitButton: .exitRequest
            }
        act(controller.handle(doorInput, now: now, monotonic: mono), now: now, trusted: trusted)
    }

    /// Feeds the door state machine an input now and carries out what it says.
    func drive(_ input: DoorController.Input, causes: [EventRecord] = []) {
        let (now, mono, trusted) = readClock()
        act(controller.handle(input, now: now, monotonic: mono), causes: causes, now: now, trusted: trusted)
    }

    /// Carries out door actions and logs them with `causes` (the events that led to them). While the log is
    /// healthy, an unlock is committed before the relay moves; a relock (the safe direction) moves first.
    func act(
        _ actions: [DoorController.Action], causes: [EventRecord] = [], now: Date, trusted: Bool
    ) {
        var holderID: HolderID?
        var unlocks = false
        for case .relay(let unlocked, _, let holder) in actions {
            holderID = holder ?? holderID
            unlocks = unlocks || unlocked
        }
        var events = causes
        for case .event(let kind, let details, let isAlarm) in actions {
            let event = EventRecord(
                time: now, kind: kind, holderID: kind == .doorUnlocked ? holderID : nil, details: details,
                clockTrusted: trusted)
            if isAlarm { alarms.raise(event, site: config.siteName) }
            events.append(event)
        }
        let commitFirst = unlocks && !sink.degraded
        if commitFirst { write(events, now: now) }
        var failures: [EventRecord] = []
        for case .relay(let unlocked, let cause, let holder) in actions {
            do {
                try ports.door.setRelay(unlocked: unlocked, cause: cause, holder: holder)
            } catch {
                logger.critical(
                    "cannot drive the relay", metadata: ["error": "\(error)", "relay.unlocked": "\(unlocked)"])
                let event = EventRecord(
                    time: now, kind: .logDegraded, details: "relay line error: \(error)", clockTrusted: trusted)
                alarms.raise(event, site: config.siteName)
                failures.append(event)
            }
        }
        write(commitFirst ? failures : events + failures, now: now)
    }

    /// The background integrity check found damage in the database: staff must know at once.
    func integrityFailed(_ error: StoreError) {
        let (now, _, trusted) = readClock()
        logger.critical("the database is damaged", metadata: ["error": "\(error.description)"])
        alarm(
            EventRecord(
                time: now, kind: .logDegraded,
                details:
                    "integrity check: \(error.description); decisions go on from what can be read — restore labdoor.db from an audit snapshot (docs/operations.md)",
                clockTrusted: trusted), now: now)
    }

    private func alarm(_ event: EventRecord, now: Date) {
        alarms.raise(event, site: config.siteName)
        write([event], now: now)
    }

    func write(_ events: [EventRecord], now: Date) {
        guard !events.isEmpty else { return }
        if let degraded = sink.write(events, now: now, logger: logger) { alarms.raise(degraded, site: config.siteName) }
    }

    /// Commits a data change (after the waiting events) with its `admin_change`; throws the store's refusal.
    func apply(
        _ change: RegistryChange, actor: String, with events: [EventRecord] = []
    ) throws(StoreError) -> ChangeResult {
        let (now, _, trusted) = readClock()
        do {
            let result = try sink.apply(
                change, ChangeContext(actor: actor, now: now, clockTrusted: trusted), with: events, logger: logger)
            switch change {
            case .addOverride, .removeOverride, .setWeekdayHours, .resetWeekdayHours: refreshOverrides()
            default: break
            }
            return result
        } catch {
            // A disk that refuses the change refuses the waiting events too: let the sink notice and alarm.
            if case .diskFull = error, let degraded = sink.flush(now: now, logger: logger) {
                alarms.raise(degraded, site: config.siteName)
            } else if case .io = error, let degraded = sink.flush(now: now, logger: logger) {
                alarms.raise(degraded, site: config.siteName)
            }
            throw error
        }
    }

    /// Purges events older than `before`, logged with `actor`.
    func purge(before: Date, actor: String) throws(StoreError) -> AppliedPurge {
        let (now, _, trusted) = readClock()
        return try sink.purge(
            before: before, ChangeContext(actor: actor, now: now, clockTrusted: trusted), logger: logger)
    }

    /// Reads the calendar overrides and stored weekday hours again and puts the policy they make in force.
    private func refreshOverrides() {
        do {
            overrides = try ports.store.overrides()
            weekdays = try ports.store.weekdayHours()
        } catch {
            logger.error(
                "cannot read the calendar overrides or weekday hours; keeping the previous ones",
                metadata: ["error": "\(error)"])
        }
        putPolicyInForce()
    }

    private func putPolicyInForce() {
        decider.policy = config.policy(overrides: overrides, weekdays: weekdays)
        view.publish(PolicyView.Snapshot(config: config, overrides: overrides, weekdays: weekdays))
    }

    /// The decision `credential` would get at `at` — the policy and door mode in force, no lockout, nothing
    /// logged (`check`).
    func wouldDecide(_ credential: Credential?, at: Date, clockTrusted: Bool) -> Decision {
        decider.policy.decide(credential, at: at, mode: controller.mode, clockTrusted: clockTrusted)
    }

    // MARK: Ticks

    private func tick() {
        let (now, mono, trusted) = readClock()
        expireEnrolments(monotonic: mono)
        let modeBefore = controller.mode
        act(controller.handle(.tick, now: now, monotonic: mono), now: now, trusted: trusted)
        if controller.mode != modeBefore, controller.mode == .normal {
            // A hold-open ended by itself: store it, so that a restart does not bring it back.
            do {
                _ = try apply(.setDoorMode(.normal), actor: "labdoord")
            } catch {
                logger.error("cannot store the end of the hold-open", metadata: ["error": "\(error.description)"])
            }
        }
        write(clockEvents(now: now, monotonic: mono, trusted: trusted), now: now)
        if let degraded = sink.flush(now: now, logger: logger) { alarms.raise(degraded, site: config.siteName) }
        if !sink.degraded {
            do { try ports.store.signCheckpointIfDue(now: now, monotonic: mono) } catch {
                logger.error("checkpoint failed", metadata: ["error": "\(error)"])
            }
        }
        if let interval = notifier.watchdogInterval, lastWatchdog.map({ mono - $0 >= interval / 4 }) ?? true {
            notifier.watchdog()
            lastWatchdog = mono
        }
        if let path = config.metricsTextfile, lastMetrics.map({ mono - $0 >= DaemonMetrics.interval }) ?? true {
            lastMetrics = mono
            let text = metrics.render(
                relayUnlocked: controller.relayUnlocked, pendingEvents: sink.pendingCount, readers: readerStates)
            do { try DaemonMetrics.write(text, to: path) } catch {
                logger.error("cannot write metrics", metadata: ["metrics.path": "\(path)", "error": "\(error)"])
            }
        }
    }

    private func clockEvents(now: Date, monotonic: MonotonicInstant, trusted: Bool) -> [EventRecord] {
        clockMonitor.observe(now: now, monotonic: monotonic, trusted: trusted).map { change in
            switch change {
            case .stepped(let seconds):
                logger.warning("wall clock stepped", metadata: ["clock.step_seconds": "\(seconds)"])
                return EventRecord(
                    time: now, kind: .clockStep, details: "the wall clock stepped by \(seconds) s",
                    clockTrusted: trusted)
            case .trust(let synchronised):
                return EventRecord(
                    time: now, kind: .clockStep,
                    details: synchronised
                        ? "the clock is synchronised again"
                        : "the clock is no longer synchronised: only staff can enter",
                    clockTrusted: trusted)
            }
        }
    }

    // MARK: Reload

    /// Puts a reloaded configuration in force: policy, door timing and alarms at once (what needs a restart is
    /// only reported, by `reload`).
    func use(_ new: LabDoorConfiguration) {
        config = new
        putPolicyInForce()
        controller.settings = Self.doorSettings(new.door)
        alarms = ports.alarms(new.alarms)
    }

    /// The systemd status line.
    var statusLine: String {
        "door \(controller.relayUnlocked ? "unlocked" : "locked"), mode \(controller.mode.name), \(readerStates.count) reader(s)"
    }
}
