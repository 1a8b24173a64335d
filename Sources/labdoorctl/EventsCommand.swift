import ArgumentParser
import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorStore

extension LabDoorCtl {
    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List logged events, oldest first.",
            discussion: """
                Times given as YYYY-MM-DD or YYYY-MM-DDTHH:MM are in the site's time zone; add Z or an offset \
                (+02:00) for an exact instant. The table shows site-zone times; json and csv carry UTC times and \
                every column, including the hashes.
                """)

        @Option(help: "Only events at or after this time.")
        var since: String?

        @Option(help: "Only events before this time.")
        var until: String?

        @Option(help: "Only events of this holder id.")
        var holder: Int64?

        @Option(help: "Only badge decisions with this outcome: granted or denied.")
        var outcome: String?

        @Option(help: "Only events with this reason code (e.g. outside_opening_hours).")
        var reason: String?

        @Option(help: "At most this many events: the newest ones.")
        var limit: Int?

        @Flag(help: "Stream events as they are committed (through the daemon's socket), until interrupted.")
        var follow = false

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if let outcome, Outcome(rawValue: outcome) == nil {
                throw ValidationError("--outcome must be granted or denied, not \(outcome)")
            }
            if let reason, ReasonCode(rawValue: reason) == nil {
                throw ValidationError(
                    "--reason \(reason) is not a reason code; use one of: \(ReasonCode.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let zone = try loadConfiguration(global.config).zone
            if follow {
                let client = try ControlClient(socketPath: global.socket)
                if global.format == .csv { print(EventOutput.columns.joined(separator: ",")) }
                try client.stream(EventsFollowCommand()) { item in
                    guard case .event(let event) = item else { return }  // heartbeats only keep the stream alive
                    print(EventOutput.line(event, format: global.format, zone: zone))
                    fflush(nil)
                }
                return
            }
            let filter = EventFilter(
                since: try since.map { try parseTime($0, option: "--since", zone: zone) },
                until: try until.map { try parseTime($0, option: "--until", zone: zone) },
                holderID: holder.map(HolderID.init(rawValue:)), outcome: outcome.flatMap(Outcome.init(rawValue:)),
                reason: reason.flatMap(ReasonCode.init(rawValue:)), limit: limit)
            let store = try openReadOnly(global.databasePath)
            let events = try storeCall { () throws(StoreError) in try store.events(filter) }
            let names = try storeCall { () throws(StoreError) in
                try store.holderNames(Set(events.compactMap(\.record.holderID)))
            }
            print(
                EventOutput.render(
                    events.map { EventListing.json($0, names: names) }, format: global.format, zone: zone,
                    columns: EventOutput.namedColumns))
        }
    }
}
