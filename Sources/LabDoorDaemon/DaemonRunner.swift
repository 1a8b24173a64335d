import Foundation
public import LabDoorConfig
import LabDoorCore
import LabDoorHardware
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

    /// Runs the daemon until SIGTERM/SIGINT; returns the process exit status.
    public static func run(_ configuration: LabDoorConfiguration, options: Options, logger: Logger) async -> Int32 {
        var config = configuration
        let (inputs, continuation) = AsyncStream.makeStream(of: DaemonInput.self)
        // 1. The relay: locked before anything else (the GPIO door requests the line with its locked level).
        let door: any DoorActuator
        switch config.door.backend {
        case .sim:
            door = SimulatedDoor()
        case .gpio:
            do {
                door = try GPIODoor(wiring: try wiring(config.door)) { input in continuation.yield(.sensor(input)) }
            } catch {
                logger.critical(
                    "cannot open the door's GPIO lines; the relay is not driven", metadata: ["error": "\(error)"])
                printError("labdoord: \(error)")
                return configurationExitStatus
            }
        }
        do {
            try door.setRelay(unlocked: false, cause: "start", holder: nil)
        } catch {
            logger.critical("cannot drive the relay locked at start", metadata: ["error": "\(error)"])
            return configurationExitStatus
        }
        let clock = SystemClock(trust: config.clockTrust)

        // 2. The state directory: one daemon per directory, and a marker to detect an unclean stop.
        let paths = config.paths
        do {
            try FileManager.default.createDirectory(
                atPath: paths.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            logger.critical(
                "cannot create the state directory", metadata: ["path": "\(paths.stateDirectory)", "error": "\(error)"])
            return configurationExitStatus
        }
        let lockFD = open("\(paths.stateDirectory)/labdoord.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard lockFD >= 0, flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            logger.critical(
                "another labdoord is running on this state directory", metadata: ["path": "\(paths.stateDirectory)"])
            return configurationExitStatus
        }
        let marker = "\(paths.stateDirectory)/labdoord.running"
        let unclean = FileManager.default.fileExists(atPath: marker)

        // 3. The store: never start on a damaged or foreign log.
        let store: LabDoorStore
        do {
            store = try LabDoorStore(path: paths.database, keysDirectory: paths.keys)
        } catch {
            logger.critical(
                "cannot open the event log; the door stays locked", metadata: ["error": "\(error.description)"])
            let alarm = EventRecord(
                time: clock.now(), kind: .logDegraded, details: error.description, clockTrusted: clock.isSynchronised())
            AlarmHook(command: config.alarms.command, timeout: .seconds(config.alarms.timeoutSeconds), logger: logger)
                .fire(alarm, site: config.siteName)
            sleep(1)  // let the alarm hook start
            return configurationExitStatus
        }
        _ = FileManager.default.createFile(atPath: marker, contents: Data("\(getpid())\n".utf8))

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
            server = try ControlServer(path: paths.socket, logger: logger)
        } catch {
            logger.critical("cannot open the control socket", metadata: ["error": "\(error)"])
            return configurationExitStatus
        }

        let notifier = SystemdNotifier()
        let daemon = DoorDaemon(
            config: config, configPath: options.configPath, store: store, door: door, clock: clock, logger: logger,
            notifier: notifier)
        var readers: [LineReader] = []
        var usbSpecs: [USBReaderSpec] = []
        for reader in config.readers {
            switch reader.backend {
            case .stdin: readers.append(LineReader(name: reader.name, source: .standardInput))
            case .fifo: readers.append(LineReader(name: reader.name, source: .fifo(reader.path ?? "")))
            case .usb:
                var spec = USBReaderSpec(
                    name: reader.name, vendorID: reader.vendorID ?? 0, productID: reader.productID ?? 0)
                spec.port = reader.port
                spec.serial = reader.serial
                spec.interkeyTimeout = .milliseconds(reader.interkeyTimeoutMilliseconds)
                usbSpecs.append(spec)
            }
        }
        let usb =
            usbSpecs.isEmpty
            ? nil : USBReaderHub(specs: usbSpecs) { name, input in continuation.yield(.reader(name, input)) }
        var feedback: (@Sendable (String, Bool) -> Void)?
        if let usb {
            feedback = { name, granted in usb.feedback(reader: name, granted: granted) }
        }
        await daemon.start(uncleanPrevious: unclean, readerFeedback: feedback)

        for line in banner { print(line) }
        fflush(nil)

        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: DecisionLoopService(daemon: daemon, inputs: inputs, continuation: continuation)),
                    .init(service: TickService(continuation: continuation)),
                    .init(
                        service: ReaderService(readers: readers, usb: usb, continuation: continuation, logger: logger)),
                    .init(service: ControlService(server: server, store: store, continuation: continuation)),
                    .init(service: ReloadSignalService(continuation: continuation)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        notifier.ready(status: await daemon.status)
        logger.notice(
            "labdoord started", metadata: ["state_dir": "\(paths.stateDirectory)", "socket": "\(paths.socket)"])
        do {
            try await group.run()
        } catch {
            logger.error("service group ended with an error", metadata: ["error": "\(error)"])
        }
        notifier.stopping()
        door.close()
        unlink(marker)
        logger.notice("labdoord stopped")
        return 0
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

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
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
        lines.append("In another terminal:  labdoorctl --socket \(config.paths.socket) status")
        lines.append("                      labdoorctl --socket \(config.paths.socket) door simulate contact=open")
        lines.append("                      labdoorctl --db \(config.paths.database) events")
        lines.append("Stop with Ctrl-C (the relay is locked and a final checkpoint signed).")
        lines.append("")
        return lines
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
