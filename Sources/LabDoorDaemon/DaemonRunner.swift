import Foundation
public import LabDoorConfig
import LabDoorCore
import LabDoorHardware
import LabDoorProtocol
import LabDoorStore
public import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// Starts and stops `labdoord`: drives the relay locked before anything else, opens the store (refusing a
/// damaged one), then runs the decision loop, readers, ticks and control socket as services until SIGTERM.
public enum DaemonRunner {
    /// Exit status when the configuration or the database is unusable (systemd: RestartPreventExitStatus=78,
    /// so a bad database does not restart in a loop; the relay stays locked by `--safe-state`).
    public static let configurationExitStatus: Int32 = 78

    /// How the daemon was started.
    public struct Options: Sendable {
        /// The configuration file, for SIGHUP reloads (nil: built-in defaults, no reload).
        public var configPath: String?
        /// Seed a demo site into a fresh state directory and print the demo banner.
        public var demo: Bool

        /// Creates options.
        public init(configPath: String?, demo: Bool) {
            self.configPath = configPath
            self.demo = demo
        }
    }

    /// The control protocol version the daemon speaks.
    public static var protocolVersion: Int64 { ControlProtocol.version }

    /// The versions of the hardware libraries linked at run time (`labdoord --version`).
    public static var libraryVersions: String {
        "libusb \(LibraryVersions.libusb), libgpiod \(LibraryVersions.libgpiod)"
    }

    /// Reads the whole database file once (`PRAGMA quick_check`) on a thread of its own after the daemon is ready:
    /// on a large log that takes tens of seconds, and the door must not wait for it. Damage is logged and raised as
    /// an alarm from the loop; the door goes on deciding from what can be read (a read that meets a damaged page
    /// is denied).
    static func checkIntegrityInBackground(
        _ store: LabDoorStore, continuation: AsyncStream<DaemonInput>.Continuation, logger: Logger
    ) {
        let thread = Thread {
            let started = ContinuousClock.now
            do throws(StoreError) {
                try store.checkIntegrity()
                logger.info(
                    "the database passed its integrity check",
                    metadata: ["seconds": "\((ContinuousClock.now - started).components.seconds)"])
            } catch {
                continuation.yield(.request(LoopRequest { daemon in daemon.integrityFailed(error) }))
            }
        }
        thread.name = "labdoord.integrity"
        thread.start()
    }

    /// The umask the daemon works under, whatever it was started with: files 0640, directories 0750 (the
    /// database holds names and e-mails; the keys directory is 0700 by itself).
    static let fileCreationMask: mode_t = 0o027

    /// Runs the daemon until SIGTERM/SIGINT; returns the process exit status.
    public static func run(_ configuration: LabDoorConfiguration, options: Options, logger: Logger) async -> Int32 {
        umask(fileCreationMask)
        var config = configuration
        let (inputs, continuation) = AsyncStream.makeStream(of: DaemonInput.self)
        let alarms = { @Sendable (settings: AlarmSettings) -> any AlarmPort in
            AlarmHook(settings, logger: Logger(label: "labdoord.alarm"))
        }
        // 1. The relay: locked before anything else (the GPIO door requests the line with its locked level).
        let door: any DoorActuator
        do {
            door = try openDoor(config.door, logger: logger) { continuation.yield(.sensor($0)) }
        } catch {
            printError("labdoord: \(error)")
            return configurationExitStatus
        }
        let clock = SystemClock(trust: config.clockTrust)
        if let refusal = clock.kernelRefusal() {
            logger.warning(
                "the kernel will not say whether the clock is synchronised; only staff can enter until systemd-timesyncd reports it",
                metadata: [
                    "error": "adjtimex: \(refusal)",
                    "fix": "a drop-in with ProtectClock=yes or a narrower SystemCallFilter= refuses it",
                ])
        }
        // A CCID reader that only speaks TPDU or character level cannot read a UID: a configuration error, not a
        // reader to retry (one plugged in later is refused and logged instead).
        let refusals = USBReaderHub.ccidRefusals(config.readers.filter { $0.backend == .ccid }.map(usbSpec))
        if !refusals.isEmpty {
            for refusal in refusals {
                logger.critical("a configured NFC reader cannot be used", metadata: ["error": "\(refusal)"])
                printError("labdoord: \(refusal)")
            }
            door.close()
            return configurationExitStatus
        }
        // 2. The state directory: one daemon per directory, and a marker to detect an unclean stop.
        let state: StateDirectory
        do {
            state = try StateDirectory.claim(config.paths.stateDirectory)
        } catch {
            logger.critical("cannot use the state directory", metadata: ["error": "\(error)"])
            printError("labdoord: \(error)")
            return configurationExitStatus
        }
        LabDoorStore.removeLeftoverSnapshots(in: config.paths.stateDirectory)  // a crash mid-snapshot leaves one
        // 3. The store: never start on a damaged or foreign log.
        let store: LabDoorStore
        do {
            store = try LabDoorStore(path: config.paths.database, keysDirectory: config.paths.keys)
        } catch {
            logger.critical(
                "cannot open the event log; the door stays locked", metadata: ["error": "\(error.description)"])
            printError("labdoord: \(error.description); the door stays locked")
            let alarm = EventRecord(
                time: clock.now(), kind: .logDegraded, details: error.description, clockTrusted: clock.isSynchronised())
            await AlarmHook(config.alarms, logger: logger).raiseAndWait(alarm, site: config.siteName)
            return configurationExitStatus
        }
        state.markRunning()
        StateDirectory.restrict(database: config.paths.database, logger: logger)

        var banner: [String] = []
        if options.demo {
            do {
                banner = try demoBanner(store: store, config: &config, clock: clock)
            } catch {
                logger.critical("cannot seed the demo", metadata: ["error": "\(error)"])
                return configurationExitStatus
            }
        }
        // 4. The control socket.
        let server: ControlServer
        do {
            server = try ControlServer(path: config.paths.socket, logger: Logger(label: "labdoord.control"))
        } catch {
            logger.critical("cannot open the control socket", metadata: ["error": "\(error)"])
            printError("labdoord: \(error)")
            return configurationExitStatus
        }
        // 5. The decision loop over its ports, and the services around it.
        let ports = DaemonPorts(
            store: store, door: door, readers: readerPorts(config.readers), clock: clock, alarms: alarms)
        let notifier = SystemdNotifier()
        let lastSeq: Int64
        do {
            lastSeq = try store.events(EventFilter(limit: 1)).last?.seq ?? 0
        } catch {
            logger.critical("cannot read the end of the event log", metadata: ["error": "\(error.description)"])
            printError("labdoord: \(error.description)")
            return configurationExitStatus
        }
        let daemon = DoorDaemon(
            config: config, configPath: options.configPath, ports: ports, lastSeq: lastSeq,
            logger: Logger(label: "labdoord.loop"), notifier: notifier)
        await daemon.start(uncleanPrevious: state.wasUnclean)
        for line in banner { print(line) }
        fflush(nil)

        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: DecisionLoopService(daemon: daemon, inputs: inputs, continuation: continuation)),
                    .init(service: TickService(continuation: continuation)),
                    .init(
                        service: ReaderService(
                            readers: ports.readers, continuation: continuation,
                            logger: Logger(label: "labdoord.readers"))),
                    .init(
                        service: ControlService(
                            server: server,
                            router: .standard(
                                store: store, view: daemon.view, archive: store,
                                snapshotDirectory: config.paths.stateDirectory),
                            continuation: continuation)),
                    .init(service: ReloadSignalService(configPath: options.configPath, continuation: continuation)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        notifier.ready(status: await daemon.statusLine)
        logger.notice(
            "labdoord started",
            metadata: ["state_dir": "\(config.paths.stateDirectory)", "socket": "\(config.paths.socket)"])
        checkIntegrityInBackground(store, continuation: continuation, logger: logger)
        do {
            try await group.run()
        } catch {
            logger.error("service group ended with an error", metadata: ["error": "\(error)"])
        }
        notifier.stopping()
        door.close()
        state.markStopped()
        logger.notice("labdoord stopped")
        return 0
    }

    /// The door backend, with the relay driven locked.
    private static func openDoor(
        _ settings: DoorSettings, logger: Logger, onInput: @escaping @Sendable (DoorSensorInput) -> Void
    ) throws -> any DoorActuator {
        let door: any DoorActuator
        switch settings.backend {
        case .sim:
            door = SimulatedDoor()
        case .gpio:
            do {
                door = try GPIODoor(wiring: try wiring(settings), onInput: onInput)
            } catch {
                logger.critical(
                    "cannot open the door's GPIO lines; the relay is not driven", metadata: ["error": "\(error)"])
                throw error
            }
        }
        do {
            try door.setRelay(unlocked: false, cause: "start", holder: nil)
        } catch {
            logger.critical("cannot drive the relay locked at start", metadata: ["error": "\(error)"])
            door.close()
            throw error
        }
        if settings.failMode == .safe {
            logger.warning("[door] fail_mode = \"safe\": this lock opens when it loses power")
        }
        return door
    }

    /// One reader port per line reader, and one hub for all USB readers.
    private static func readerPorts(_ readers: [ReaderSettings]) -> [any ReaderPort] {
        var ports: [any ReaderPort] = []
        var usbSpecs: [USBReaderSpec] = []
        for reader in readers {
            switch reader.backend {
            case .stdin: ports.append(LineReader(name: reader.name, source: .standardInput))
            case .fifo: ports.append(LineReader(name: reader.name, source: .fifo(reader.path ?? "")))
            case .usb, .ccid:
                usbSpecs.append(usbSpec(reader))
            }
        }
        if !usbSpecs.isEmpty { ports.append(USBReaderHub(specs: usbSpecs)) }
        return ports
    }

    /// The hub's spec of a USB reader (keyboard wedge or CCID).
    static func usbSpec(_ reader: ReaderSettings) -> USBReaderSpec {
        var spec = USBReaderSpec(name: reader.name, vendorID: reader.vendorID ?? 0, productID: reader.productID ?? 0)
        spec.port = reader.port
        spec.serial = reader.serial
        spec.interkeyTimeout = .milliseconds(reader.interkeyTimeoutMilliseconds)
        if reader.backend == .ccid { spec.family = .ccid(reader.uidFormat) }
        return spec
    }

    /// `labdoord --init`: begins a new, empty log in the state directory when its keys exist but its database was
    /// lost (a damaged or foreign file is moved aside, never deleted); refuses to replace a valid log. Takes the
    /// state directory's lock, so it never runs beside a daemon.
    public static func initialize(_ config: LabDoorConfiguration, logger: Logger) -> Int32 {
        umask(fileCreationMask)
        do {
            let state = try StateDirectory.claim(config.paths.stateDirectory)
            _ = state
            let clock = SystemClock(trust: config.clockTrust)
            let (_, movedAside) = try LabDoorStore.initialize(
                path: config.paths.database, keysDirectory: config.paths.keys, now: clock.now(),
                clockTrusted: clock.isSynchronised())
            print(
                "labdoord --init: a new event log begins at \(config.paths.database) (seq 1, log_initialized)"
                    + (movedAside.map { "; the old file was moved to \($0)" } ?? ""))
            return 0
        } catch let error as StoreError {
            printError("labdoord --init: \(error.description)")
            return 1
        } catch {
            printError("labdoord --init: \(error)")
            return configurationExitStatus
        }
    }

    /// `labdoord --safe-state`: drives the relay locked and exits (systemd `ExecStopPost=`).
    public static func safeState(_ config: LabDoorConfiguration, logger: Logger) -> Int32 {
        switch config.door.backend {
        case .sim:
            do {
                try SimulatedDoor().setRelay(unlocked: false, cause: "safe_state", holder: nil)
                return 0
            } catch {
                return 1
            }
        case .gpio:
            do {
                try GPIODoor.driveLocked(try wiring(config.door))
                print("door: relay=locked reason=safe_state")
                return 0
            } catch {
                printError("labdoord --safe-state: \(error)")
                return 1
            }
        }
    }

    /// The GPIO wiring from `[door]`.
    static func wiring(_ door: DoorSettings) throws(GPIOError) -> GPIODoorWiring {
        func line(_ reference: LineReference?) -> GPIOLineReference? {
            switch reference {
            case .offset(let n)?: .offset(n)
            case .name(let s)?: .name(s)
            case nil: nil
            }
        }
        guard let chip = door.chip, let relay = line(door.relayLine) else {
            throw GPIOError(message: "[door] backend = \"gpio\" needs chip and relay_line")
        }
        var wiring = GPIODoorWiring(chip: chip, relay: relay)
        wiring.relayActiveLow = door.relayActiveLow
        wiring.contact = line(door.contactLine)
        wiring.contactOpenHigh = door.contactOpenLevel == .high
        wiring.exit = line(door.exitLine)
        wiring.exitActiveHigh = door.exitActiveLevel == .high
        wiring.greenLED = line(door.greenLEDLine)
        wiring.redLED = line(door.redLEDLine)
        wiring.buzzer = line(door.buzzerLine)
        wiring.debounce = .milliseconds(door.debounceMilliseconds)
        return wiring
    }

    /// Writes a line to standard error (the operator's terminal or the journal), control characters escaped.
    public static func printError(_ text: String) {
        FileHandle.standardError.write(Data((TextEscaping.escapedKeepingLines(text) + "\n").utf8))
    }

    private static func demoBanner(
        store: LabDoorStore, config: inout LabDoorConfiguration, clock: SystemClock
    ) throws -> [String] {
        let now = clock.now()
        let entries = try DemoData.seed(store, now: now, zone: config.zone)
        let status: String =
            switch config.policy().calendar.status(at: now) {
            case .open(let closes): "open now, until \(config.zone.describe(closes))"
            case .closed(let why, let next):
                "closed now (\(why.reasonCode.rawValue))" + (next.map { " — opens \(config.zone.describe($0))" } ?? "")
            }
        var lines = [
            "LabDoor demo — \(config.siteName), simulated door, reader \"entry\" on standard input.",
            "State: \(config.paths.stateDirectory)   The Lab is \(status).", "",
            "Type a badge number and Enter:",
        ]
        for entry in entries {
            lines.append("  \(entry.number)  \(entry.name) (\(entry.profile)): \(entry.expectation)")
        }
        lines.append("  \(DemoData.unknownNumber)  (not registered): denied: unknown_badge")
        lines.append("")
        let ctl = "\(Self.labdoorctlPath) --socket \(config.paths.socket)"
        lines.append("In another terminal, paste any of these:")
        for (command, what) in [
            ("status", "the door, the reader, the log"), ("holder list", "the demo holders"),
            ("events --limit 10", "the newest events"),
            (
                "check \(entries.first?.number ?? DemoData.unknownNumber) --at \(Self.nextFriday(now, config.zone))T19:30",
                "would this badge open on Friday at 19:30, and why?"
            ),
            ("door simulate contact=open", "a forced door: the alarm"), ("door unlock --for 10s", "unlock for 10 s"),
            (
                "hours calendar --from \(config.zone.local(now).date) --to \(config.zone.local(now).date.adding(days: 6))",
                "the week's opening hours"
            ),
            ("report", "the Lab's use (add --svg report.svg for a picture)"),
        ] {
            lines.append("  \(ctl) \(command)")
            lines.append("      # \(what)")
        }
        lines.append(
            "Door lines (door: …) are on standard output; the daemon's log (log HH:MM:SS+offset …) on standard error.")
        lines.append("Stop with Ctrl-C (the relay is locked and a final checkpoint signed).")
        lines.append("")
        return lines
    }

    /// labdoorctl beside this labdoord (the demo's commands are pasted as they are), else the bare name.
    static var labdoorctlPath: String {
        let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let sibling = directory.appendingPathComponent("labdoorctl").path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "labdoorctl"
    }

    /// The date of the next Friday after `now` (today if it is Friday), for the demo's what-if.
    static func nextFriday(_ now: Date, _ zone: SiteZone) -> LocalDate {
        let today = zone.local(now).date
        let ahead = (Weekday.friday.rawValue - today.weekday.rawValue + 7) % 7
        return today.adding(days: ahead)
    }

    /// The configuration `labdoord --demo` uses: the Lab's policy (or `base`), a temporary state directory, the
    /// simulated door, a standard-input reader, a trusted clock.
    public static func demoConfiguration(base: LabDoorConfiguration) -> LabDoorConfiguration {
        var config = base
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("labdoor-demo-\(getpid())").path
        config.paths = PathSettings(stateDirectory: dir, socket: "\(dir)/control.sock")
        config.door = DoorSettings()
        config.readers = [ReaderSettings(name: "entry", backend: .stdin)]
        config.clockTrust = .always
        return config
    }
}
