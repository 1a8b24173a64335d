import ArgumentParser
import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorDaemon
import Logging

/// `labdoord`: the LabDoor daemon.
@main
struct LabDoorD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labdoord",
        abstract: "Run the LabDoor door controller.",
        discussion: """
            Reads badge readers, decides access, drives the door lock and logs every event. Stop it with SIGTERM \
            (the relay is locked and a final checkpoint signed); SIGHUP reloads the configuration.
            """
    )

    @Option(help: "The configuration file (default: \(LabDoorConfiguration.defaultPath)).")
    var config: String?

    @Option(
        name: .customLong("check-config"),
        help: ArgumentHelp("Validate a configuration file and exit.", valueName: "file"))
    var checkConfig: String?

    @Flag(help: "Run the whole daemon on simulated hardware with demo holders in a temporary state directory.")
    var demo = false

    @Flag(name: .customLong("safe-state"), help: "Drive the relay locked and exit (for systemd ExecStopPost=).")
    var safeState = false

    @Flag(
        help: ArgumentHelp(
            "Begin a new, empty event log when the state directory's keys exist but labdoor.db was lost, and exit.",
            discussion:
                "A damaged or foreign database is moved aside (labdoor.db.lost-TIME), never deleted; a valid log is never replaced."
        ))
    var `init` = false

    @Flag(help: "Print LabDoor's version, its control protocol's and its hardware libraries', and exit.")
    var version = false

    @Flag(
        name: .customLong("modprobe-conf"),
        help: "Print the modprobe.d file that keeps usbhid off the configured USB readers.")
    var modprobeConf = false

    @Flag(
        name: .customLong("udev-rules"),
        help: "Print the udev rules that give the labdoor group the configured USB readers.")
    var udevRules = false

    func run() async throws {
        if version {
            print(
                "labdoord \(LabDoorRelease.version) (LabDoor control protocol \(DaemonRunner.protocolVersion)); \(DaemonRunner.libraryVersions)"
            )
            return
        }
        if let path = checkConfig {
            let loaded = try load(path)
            let readers = loaded.readers.map { "\($0.name) (\($0.backend.rawValue))" }.joined(separator: ", ")
            print(
                TextEscaping.escaped(
                    "\(path): OK — site \"\(loaded.siteName)\", time zone \(loaded.zone.identifier), holidays \(loaded.holidays.rawValue), profiles \(loaded.profiles.keys.sorted().joined(separator: ", ")), door \(loaded.door.backend.rawValue), readers: \(readers.isEmpty ? "none" : readers)"
                ))
            return
        }
        if modprobeConf || udevRules {
            let loaded = try config.map(load) ?? LabDoorConfiguration.load(explicitPath: nil)
            print(modprobeConf ? SystemFiles.modprobe(loaded) : SystemFiles.udevRules(loaded), terminator: "")
            return
        }
        if demo, let zone = (try? LabDoorConfiguration.load(explicitPath: config))?.zone {
            // The demo's log in the site's time, told apart from the door's lines.
            LoggingSystem.bootstrap { label in SiteTimeLogHandler(label: label, zone: zone) }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .info
                return EscapingLogHandler(handler)
            }
        }
        let logger = Logger(label: "labdoord.main")
        let loaded: LabDoorConfiguration
        do {
            loaded = try LabDoorConfiguration.load(explicitPath: config)
        } catch {
            if safeState {
                // Whatever is wrong with the configuration, try the default door: never leave it open.
                logger.critical(
                    "configuration unreadable; --safe-state uses the defaults", metadata: ["error": "\(error)"])
                throw ExitCode(DaemonRunner.safeState(try LabDoorConfiguration.labDefaults(), logger: logger))
            }
            DaemonRunner.printError("labdoord: \(error.description)")
            throw ExitCode(DaemonRunner.configurationExitStatus)
        }
        if safeState {
            let status = DaemonRunner.safeState(loaded, logger: logger)
            if status != 0 { throw ExitCode(status) }
            return
        }
        if self.`init` {
            let status = DaemonRunner.initialize(loaded, logger: logger)
            if status != 0 { throw ExitCode(status) }
            return
        }
        let effective = demo ? DaemonRunner.demoConfiguration(base: loaded) : loaded
        let status = await DaemonRunner.run(
            effective, options: .init(configPath: demo ? nil : (config ?? existingDefault), demo: demo), logger: logger)
        if status != 0 { throw ExitCode(status) }
    }

    private var existingDefault: String? {
        FileManager.default.fileExists(atPath: LabDoorConfiguration.defaultPath)
            ? LabDoorConfiguration.defaultPath : nil
    }

    private func load(_ path: String) throws -> LabDoorConfiguration {
        do {
            return try LabDoorConfiguration.load(path: path)
        } catch {
            throw Failure(message: TextEscaping.escapedKeepingLines(error.description))
        }
    }
}

/// A failure with a message for the operator; exits 1 without a usage dump.
struct Failure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
