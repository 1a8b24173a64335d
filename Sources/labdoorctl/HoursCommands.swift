import ArgumentParser
import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorStore

extension LabDoorCtl {
    struct Hours: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show opening hours and the opening calendar.",
            subcommands: [Show.self, Calendar.self]
        )
    }
}

extension LabDoorCtl.Hours {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the weekly opening hours and holiday rule.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let config = try loadConfiguration(global.config)
            let days = Weekday.allCases.map { ($0, config.weeklyHours[$0].map(\.description)) }
            switch global.format {
            case .json:
                let weekly = days.map { ($0.configKey, JSONValue.array($1.map(JSONValue.string))) }
                let object: [(String, JSONValue)] = [
                    ("time_zone", .string(config.zone.identifier)), ("holidays", .string(config.holidays.rawValue)),
                ]
                print(JSONValue.object(object + weekly))
            case .csv:
                print("weekday,hours")
                for (weekday, hours) in days { print("\(weekday.configKey),\(hours.joined(separator: " "))") }
            case .table:
                print("Time zone: \(config.zone.identifier)")
                print(
                    "Holidays:  \(config.holidays == .finland ? "closed on Finnish public holidays" : "ordinary days")")
                for (weekday, hours) in days {
                    print(
                        "\(weekday.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(hours.isEmpty ? "closed" : hours.joined(separator: ", "))"
                    )
                }
            }
        }
    }

    struct Calendar: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every day of a date range: open or closed, why, and the hours.")

        @Option(help: "The first date (YYYY-MM-DD).")
        var from: String

        @Option(help: "The last date, included (YYYY-MM-DD).")
        var to: String

        @OptionGroup var global: GlobalOptions

        /// The longest range printed at once.
        static let maximumDays = 3660

        func validate() throws {
            guard let first = LocalDate(iso: from) else {
                throw ValidationError("--from \(from) is not a date; write YYYY-MM-DD, e.g. 2027-01-01")
            }
            guard let last = LocalDate(iso: to) else {
                throw ValidationError("--to \(to) is not a date; write YYYY-MM-DD, e.g. 2027-12-31")
            }
            guard first <= last else { throw ValidationError("--from \(from) is after --to \(to)") }
            guard last.dayNumber - first.dayNumber < Self.maximumDays else {
                throw ValidationError("the range is longer than \(Self.maximumDays) days; ask for fewer days at a time")
            }
        }

        func run() throws {
            guard let first = LocalDate(iso: from), let last = LocalDate(iso: to) else { return }
            // Closures and special hours come from the database, when there is one.
            var overrides: [CalendarOverride] = []
            if global.db != nil || FileManager.default.isReadableFile(atPath: global.databasePath) {
                overrides = try openReadOnly(global.databasePath).overrides()
            }
            let calendar = try loadConfiguration(global.config).policy(overrides: overrides).calendar
            let days = (first.dayNumber...last.dayNumber).map { calendar.schedule(on: LocalDate(dayNumber: $0)) }
            print(CalendarOutput.render(days, format: global.format))
        }
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
