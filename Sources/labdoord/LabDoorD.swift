import ArgumentParser
import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorDaemon
import LabDoorHardware

/// `labdoord`: the LabDoor daemon.
@main
struct LabDoorD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labdoord",
        abstract: "Run the LabDoor door controller.",
        discussion: """
            Reads badge readers, decides access and drives the door lock. In this build the door-running \
            service is not yet available: use --check-config to validate a configuration and --demo to see \
            the access policy at work on a demo data set.
            """
    )

    @Option(help: "The configuration file (default: \(LabDoorConfiguration.defaultPath)).")
    var config: String?

    @Option(
        name: .customLong("check-config"),
        help: ArgumentHelp("Validate a configuration file and exit.", valueName: "file"))
    var checkConfig: String?

    @Flag(help: "Show the access policy on a demo data set (the Lab's default configuration, or --config).")
    var demo = false

    @Flag(help: "Print the versions of LabDoor's hardware libraries and exit.")
    var version = false

    func run() throws {
        if version {
            print("labdoord: libusb \(LibraryVersions.libusb), libgpiod \(LibraryVersions.libgpiod)")
            return
        }
        if let path = checkConfig {
            do {
                let loaded = try LabDoorConfiguration.load(path: path)
                print(
                    "\(path): OK — site \"\(loaded.siteName)\", time zone \(loaded.zone.identifier), holidays \(loaded.holidays.rawValue), profiles \(loaded.profiles.keys.sorted().joined(separator: ", "))"
                )
            } catch {
                throw Failure(message: error.description)
            }
            return
        }
        if demo {
            let loaded: LabDoorConfiguration
            do {
                loaded = try LabDoorConfiguration.load(explicitPath: config)
            } catch {
                throw Failure(message: error.description)
            }
            let now = Date()
            let preview = PolicyPreview(policy: loaded.policy(), data: DemoData(now: now, zone: loaded.zone))
            print("LabDoor demo — \(loaded.siteName): policy preview (the door service arrives in a later build)\n")
            for line in preview.render(now: now) { print(line) }
            return
        }
        throw Failure(message: "running the door is not available in this build yet; use --check-config FILE or --demo")
    }
}

/// A failure with a message for the operator; exits 1 without a usage dump.
struct Failure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
