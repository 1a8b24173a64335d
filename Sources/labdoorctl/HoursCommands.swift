import ArgumentParser
import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorStore

extension LabDoorCtl {
    struct Hours: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show and change opening hours, closures, special hours and the opening calendar.",
            subcommands: [Show.self, Set.self, Reset.self, Closure.self, Special.self, Calendar.self]
        )
    }
}

extension LabDoorCtl.Hours {
    static func describe(_ table: HoursTable) -> String {
        var lines = [
            "Time zone: \(table.timeZone)",
            "Holidays:  \(table.holidays == "finland" ? "closed on Finnish public holidays" : "ordinary days")",
        ]
        for day in table.days {
            let name = (Weekday.allCases.first { $0.configKey == day.weekday }?.name ?? day.weekday)
            let hours = day.hours.isEmpty ? "closed" : day.hours.joined(separator: ", ")
            let source =
                day.source == "database"
                ? "set by \(TextEscaping.escaped(day.setBy ?? "?")) \(day.setAt ?? "") (hours reset \(day.weekday) restores labdoor.toml's)"
                : "labdoor.toml"
            lines.append("\(name.padded(10)) \(hours.padded(24)) \(source)")
        }
        return lines.joined(separator: "\n")
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the weekly hours in force, and where each day's come from (labdoor.toml or hours set).",
            discussion: "Asks labdoord; with --db (or when labdoord is not running) reads --config and the database.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let table = try offlineOrDaemon(global) { () throws in
                try ControlClient(socketPath: global.socket).call(HoursShowCommand())
            } offline: {
                let config = try loadConfiguration(global.config)
                let stored = try OfflineData(global).weekdays()
                return HoursTable(
                    configured: config.weeklyHours, stored: stored, zone: config.zone, holidays: config.holidays)
            }
            switch global.format {
            case .json: print(try json(table))
            case .csv:
                print("weekday,hours,source")
                for day in table.days { print("\(day.weekday),\(day.hours.joined(separator: " ")),\(day.source)") }
            case .table: print(Self.describeTable(table))
            }
        }

        static func describeTable(_ table: HoursTable) -> String { LabDoorCtl.Hours.describe(table) }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a weekday's hours (in force at once, kept in the database): hours set friday 07:00-18:00.")
        @Argument(help: "monday … sunday (or mon … sun).") var weekday: String
        @Argument(help: "HH:MM-HH:MM[,HH:MM-HH:MM], or closed.") var hours: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try send(HoursSetCommand(weekday: weekday, hours: hours), global, table: LabDoorCtl.Hours.describe)
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop the hours set for a weekday (or every weekday): labdoor.toml's apply again.")
        @Argument(help: "The weekday (omit: every weekday).") var weekday: String?
        @OptionGroup var global: GlobalOptions

        func run() throws { try send(HoursResetCommand(weekday: weekday), global, table: LabDoorCtl.Hours.describe) }
    }

    static func describe(_ o: OverrideInfo) -> String {
        let days = o.from == o.to ? o.from : "\(o.from) to \(o.to)"
        return o.kind == "closed"
            ? "closure \(o.id): closed \(days): \(TextEscaping.escaped(o.reason))"
            : "special hours \(o.id): \(days) open \(o.hours.joined(separator: ", ")): \(TextEscaping.escaped(o.reason))"
    }

    struct Closure: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close the Lab on dates (closures), list and remove closures and special hours.",
            subcommands: [Add.self, List.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Close the Lab from a date through another (or one day); visitors see the reason.")
            @Option(help: "The first date (YYYY-MM-DD).") var from: String
            @Option(help: "The last date, included (default: --from).") var to: String?
            @Option(help: "Why (shown at the door).") var reason: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(ClosureAddCommand(from: from, to: to, reason: reason), global) {
                    "added \(LabDoorCtl.Hours.describe($0))"
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List closures and special hours, by id.")
            @Option(help: "Only those lasting until this date or later.") var from: String?
            @OptionGroup var page: PageOptions
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try list(
                    ClosureListCommand(from: from), page, global,
                    columns: Columns(
                        names: ["ID", "KIND", "FROM", "TO", "HOURS", "REASON"],
                        cells: { o in [String(o.id), o.kind, o.from, o.to, o.hours.joined(separator: " "), o.reason] }))
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a closure or special hours.")
            @Argument(help: "The id (from closure list).") var id: Int64
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(ClosureRemoveCommand(id: id), global) { "removed \(LabDoorCtl.Hours.describe($0))" }
            }
        }
    }

    struct Special: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Other opening hours on a date.", subcommands: [Add.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract:
                    "Open other hours on a date (or through --to): hours special add --date 2027-12-23 --hours 07:00-16:00 --reason \"Christmas\"."
            )
            @Option(help: "The date (YYYY-MM-DD).") var date: String
            @Option(help: "The last date, included (default: --date).") var to: String?
            @Option(help: "HH:MM-HH:MM[,HH:MM-HH:MM].") var hours: String
            @Option(help: "Why.") var reason: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(SpecialHoursAddCommand(date: date, to: to, hours: hours, reason: reason), global) {
                    "added \(LabDoorCtl.Hours.describe($0))"
                }
            }
        }
    }

    struct Calendar: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every day of a date range: open or closed, why, and the hours.",
            discussion: """
                Asks labdoord (the hours in force, closures and special hours); with --db — or when labdoord is not \
                running — computes it from --config and the database file.
                """)

        @Option(help: "The first date (YYYY-MM-DD).")
        var from: String

        @Option(help: "The last date, included (YYYY-MM-DD).")
        var to: String

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard let first = LocalDate(iso: from) else {
                throw ValidationError("--from \(from) is not a date; write YYYY-MM-DD, e.g. 2027-01-01")
            }
            guard let last = LocalDate(iso: to) else {
                throw ValidationError("--to \(to) is not a date; write YYYY-MM-DD, e.g. 2027-12-31")
            }
            guard first <= last else { throw ValidationError("--from \(from) is after --to \(to)") }
            guard last.dayNumber - first.dayNumber < HoursCalendarCommand.maximumDays else {
                throw ValidationError(
                    "the range is longer than \(HoursCalendarCommand.maximumDays) days; ask for fewer days at a time")
            }
        }

        func run() throws {
            let days = try offlineOrDaemon(global) {
                try ControlClient(socketPath: global.socket).call(HoursCalendarCommand(from: from, to: to))
            } offline: {
                guard let first = LocalDate(iso: from), let last = LocalDate(iso: to) else { return [] }
                let data = try OfflineData(global)
                let calendar = try loadConfiguration(global.config).policy(
                    overrides: try data.overrides(), weekdays: try data.weekdays()
                ).calendar
                return (first.dayNumber...last.dayNumber).map {
                    CalendarDay(calendar.schedule(on: LocalDate(dayNumber: $0)))
                }
            }
            print(try CalendarOutput.render(days, format: global.format))
        }
    }
}

/// Answers a read-only command from the daemon, or — with `--db`, or when the daemon is not running — from the
/// configuration and database files (with a note on stderr in the second case).
func offlineOrDaemon<T>(
    _ global: GlobalOptions, daemon: () throws -> T, offline: () throws -> T
) throws -> T {
    if global.db != nil { return try offline() }
    do {
        return try daemon()
    } catch let failure as Failure where failure.exit == .unreachable {
        printError("note: \(failure.message); answering from the configuration and database files instead")
        return try offline()
    }
}

/// The database's calendar data for offline commands: from `--db`, or the device's database when readable; none
/// otherwise (the configuration alone).
struct OfflineData {
    let store: LabDoorStore?

    init(_ global: GlobalOptions) throws {
        store =
            global.db != nil || FileManager.default.isReadableFile(atPath: global.databasePath)
            ? try openReadOnly(global.databasePath) : nil
    }

    func overrides() throws -> [CalendarOverride] {
        guard let store else { return [] }
        return try storeCall { () throws(StoreError) in try store.overrides() }
    }

    func weekdays() throws -> [StoredWeekdayHours] {
        guard let store else { return [] }
        return try storeCall { () throws(StoreError) in try store.weekdayHours() }
    }
}

/// Loads the configuration, turning its error into a message for the user.
func loadConfiguration(_ path: String?) throws -> LabDoorConfiguration {
    do {
        return try LabDoorConfiguration.load(explicitPath: path)
    } catch {
        throw Failure(message: error.description)
    }
}
