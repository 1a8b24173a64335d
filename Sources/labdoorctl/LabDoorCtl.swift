import ArgumentParser
import Foundation
import LabDoorCore
import LabDoorProtocol

/// `labdoorctl`: the admin and audit command-line tool.
@main
struct LabDoorCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labdoorctl",
        abstract: "Manage and audit the LabDoor door controller.",
        version: "labdoorctl \(LabDoorRelease.version) (LabDoor control protocol \(ControlProtocol.version))",
        subcommands: [
            Status.self, Holder.self, Badge.self, Registration.self, Door.self, Hours.self, Check.self, Events.self,
            Report.self, Audit.self,
        ]
    )

    /// Global options may come before the subcommand (`labdoorctl --socket PATH status`, as DESIGN.md writes
    /// them); argument-parser reads a subcommand's options only after its name, so they are moved behind it.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(Self.movingGlobalOptions(arguments))
            try command.run()
        } catch let failure as Failure {
            printError("Error: \(failure.message)")
            Foundation.exit(failure.exit.rawValue)
        } catch {
            // argument-parser exits 64 on a usage error; DESIGN.md's labdoorctl exits 2 for usage or bad input.
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }
            printError(fullMessage(for: error))
            Foundation.exit(ExitStatus.usage.rawValue)
        }
    }

    static let globalOptions: Set<String> = ["--socket", "--config", "--db", "--format"]

    static func movingGlobalOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count,
            globalOptions.contains(arguments[index].split(separator: "=").first.map(String.init) ?? "")
        {
            leading.append(arguments[index])
            if !arguments[index].contains("="), index + 1 < arguments.count {
                leading.append(arguments[index + 1])
                index += 1
            }
            index += 1
        }
        return Array(arguments[index...]) + leading
    }
}

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The configuration file (default: /etc/labdoor/labdoor.toml, else the built-in defaults).")
    var config: String?

    @Option(
        help: "The database for read-only commands: labdoor.db or a copy of it (default: /var/lib/labdoor/labdoor.db).")
    var db: String?

    @Option(help: "The daemon's control socket.")
    var socket: String = ControlProtocol.defaultSocket

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    @Flag(help: "Print long output directly instead of through a pager (less) on a terminal.")
    var noPager = false

    @Flag(name: .shortAndLong, help: "No progress bars on standard error.")
    var quiet = false

    /// The database path: `--db`, else the device's default.
    var databasePath: String { db ?? "/var/lib/labdoor/labdoor.db" }
}

/// How a command prints its result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// labdoorctl's exit statuses (DESIGN.md, labdoorctl surface).
enum ExitStatus: Int32, Sendable {
    /// Done.
    case ok = 0
    /// Refused, denied, or tampering found.
    case refused = 1
    /// Usage or bad input.
    case usage = 2
    /// The daemon cannot be reached.
    case unreachable = 3
    /// Permission denied (the message names the group to join).
    case forbidden = 4
}

/// A failure with a message for the user; `labdoorctl` prints it and exits with `exit`.
struct Failure: Error, CustomStringConvertible {
    let message: String
    let exit: ExitStatus

    init(_ message: String, exit: ExitStatus = .refused) {
        self.message = message
        self.exit = exit
    }

    init(message: String) { self.init(message) }

    var description: String { message }
}
