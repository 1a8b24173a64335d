import ArgumentParser
import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorStore

extension LabDoorCtl {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the Lab's use: entries per day, a weekday × hour heat map, denials by reason.",
            discussion: """
                Dates in the site's time zone, both included (default: the last 30 days). Through labdoord \
                (labdoor-audit or labdoor-admin), or read-only on a database file with --db. --svg writes the \
                charts as one self-contained SVG file (opens in a browser); --format json gives the numbers.
                """)

        @Option(help: "The first day (YYYY-MM-DD; default: 29 days before --to).")
        var from: String?

        @Option(help: "The last day, included (YYYY-MM-DD; default: today).")
        var to: String?

        @Option(help: "Also write the report as an SVG picture to this file.")
        var svg: String?

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let config = try loadConfiguration(global.config)
            let report = try fetch(config.zone)
            if let svg {
                do {
                    try ReportOutput.svg(report, site: config.siteName).write(
                        toFile: svg, atomically: true, encoding: .utf8)
                } catch {
                    throw Failure("cannot write \(svg): \(error.localizedDescription)", exit: .usage)
                }
            }
            switch global.format {
            case .json:
                print(try json(report))
            case .table, .csv:
                let pager = Pager.start(global, format: .table)
                defer { pager.finish() }
                print(ReportOutput.terminal(report, site: config.siteName))
                if let svg { print("\nwrote \(svg)") }
            }
        }

        private func fetch(_ zone: SiteZone) throws -> UsageReport {
            let source = try EventSource(global, zone: zone)
            switch source.origin {
            case .daemon(let client):
                return try client.call(ReportCommand(from: from, to: to))
            case .file(let store):
                let days: (first: LocalDate, last: LocalDate)
                do {
                    days = try UsageReport.days(from: from, to: to, today: zone.local(Date()).date)
                } catch {
                    throw Failure(error.description, exit: .usage)
                }
                let (start, end) = UsageReport.interval(first: days.first, last: days.last, zone: zone)
                let buckets = try storeCall { () throws(StoreError) in try store.usageBuckets(from: start, to: end) }
                return UsageReport(buckets: buckets, first: days.first, last: days.last, zone: zone)
            }
        }
    }
}
