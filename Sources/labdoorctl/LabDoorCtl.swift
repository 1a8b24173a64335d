import ArgumentParser

/// `labdoorctl`: the admin and audit command-line tool.
@main
struct LabDoorCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labdoorctl",
        abstract: "Manage and audit the LabDoor door controller.",
        subcommands: [Hours.self, Events.self, Audit.self]
    )
}

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The configuration file (default: /etc/labdoor/labdoor.toml, else the built-in defaults).")
    var config: String?

    @Option(
        help: "The database for read-only commands: labdoor.db or a copy of it (default: /var/lib/labdoor/labdoor.db).")
    var db: String?

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    /// The database path: `--db`, else the device's default.
    var databasePath: String { db ?? "/var/lib/labdoor/labdoor.db" }
}

/// How a command prints its result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// A failure with a message for the user; `labdoorctl` prints it and exits 1.
struct Failure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
