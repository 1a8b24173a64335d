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
                Through labdoord (members of labdoor-audit or labdoor-admin), or read-only on a database file \
                with --db. Times given as YYYY-MM-DD or YYYY-MM-DDTHH:MM are in the site's time zone; add Z or an \
                offset (+02:00) for an exact instant. The table shows site-zone times with their offset; json and \
                csv carry the log's UTC times and every column, including the hashes. On a terminal the table goes \
                through a pager (less; --no-pager to print it).
                """)

        @OptionGroup var filters: EventFilterOptions

        @Option(help: "Only events before this time.")
        var until: String?

        @Option(help: "At most this many events: the newest ones.")
        var limit: Int64?

        @Flag(help: "Stream events as they are committed (through the daemon's socket), until interrupted.")
        var follow = false

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            try filters.validate()
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            if follow, until != nil { throw ValidationError("--until and --follow exclude each other") }
            if follow, limit != nil { throw ValidationError("--limit and --follow exclude each other") }
            if follow, global.db != nil { throw ValidationError("--follow needs the daemon; leave out --db") }
        }

        func run() throws {
            let zone = try loadConfiguration(global.config).zone
            if follow {
                let client = try ControlClient(socketPath: global.socket)
                let printer = EventPrinter(format: global.format, zone: zone, columns: EventOutput.namedColumns)
                try client.stream(
                    EventsFollowCommand(
                        since: filters.since, holder: filters.holder, outcome: filters.outcome, reason: filters.reason)
                ) { item in
                    guard case .event(let event) = item else { return }  // heartbeats only keep the stream alive
                    printer.print([event])
                }
                return
            }
            let command = EventsListCommand(
                since: filters.since, until: until, holder: filters.holder, outcome: filters.outcome,
                reason: filters.reason)
            let source = try EventSource(global, zone: zone)
            let pager = Pager.start(global, format: global.format)
            defer { pager.finish() }
            let printer = EventPrinter(format: global.format, zone: zone, columns: EventOutput.namedColumns)
            try source.each(command, tail: limit, named: true) { printer.print($0) }
            printer.finish()
        }
    }
}

/// The filters `events` and `events --follow` share.
struct EventFilterOptions: ParsableArguments {
    @Option(help: "Only events at or after this time.")
    var since: String?

    @Option(help: "Only events of this holder id.")
    var holder: Int64?

    @Option(help: "Only badge decisions with this outcome: granted or denied.")
    var outcome: String?

    @Option(help: "Only events with this reason code (e.g. outside_opening_hours).")
    var reason: String?

    func validate() throws {
        if let outcome, Outcome(rawValue: outcome) == nil {
            throw ValidationError("--outcome must be granted or denied, not \(outcome)")
        }
        if let reason, ReasonCode(rawValue: reason) == nil {
            throw ValidationError(
                "--reason \(reason) is not a reason code; use one of: \(ReasonCode.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
    }
}

/// Where events come from: the daemon (`events.list`, page by page on one connection) or, with `--db` or when
/// the daemon cannot be reached, a database file read-only. Either way a page at a time, never the whole log.
struct EventSource {
    enum Origin {
        case daemon(ControlClient)
        case file(LabDoorStore)
    }

    let origin: Origin
    /// The site zone, for times typed in filters when reading a file.
    let zone: SiteZone

    init(_ global: GlobalOptions, zone: SiteZone) throws {
        self.zone = zone
        origin = try Self.origin(global)
    }

    private static func origin(_ global: GlobalOptions) throws -> Origin {
        if global.db != nil { return .file(try openReadOnly(global.databasePath)) }
        let client: ControlClient
        do {
            client = try ControlClient(socketPath: global.socket)
        } catch {
            guard error.exit == .unreachable, FileManager.default.isReadableFile(atPath: global.databasePath) else {
                throw error
            }
            printError("note: \(error.message); reading \(global.databasePath) instead")
            return .file(try openReadOnly(global.databasePath))
        }
        return .daemon(client)
    }

    /// Hands the events matching `command`'s filters to `page`, a page at a time, oldest first; with `tail`,
    /// only the newest `tail` of them. `named`: with the holders' names (`holder_name`), as `events` shows them.
    func each(
        _ command: EventsListCommand, tail: Int64?, named: Bool, progress: Progress? = nil,
        _ page: ([JSONValue]) throws -> Void
    ) throws {
        switch origin {
        case .daemon(let client):
            var command = command
            command.tail = tail
            try eachPage(command, PageRange(after: nil, limit: tail), client: client) { events in
                try page(named ? events : events.map(EventOutput.withoutNames))
                progress?.advance(by: Int64(events.count))
            }
        case .file(let store):
            var filter = try EventSource.filter(command, zone: zone)
            if let tail {
                let matching = filter
                filter.afterSeq = try storeCall { () throws(StoreError) in
                    try store.startOfNewest(matching, count: Int(clamping: tail))
                }
            }
            try eachPage(PageRange(after: filter.afterSeq, limit: tail)) { after, limit in
                filter.afterSeq = after
                filter.first = Int(limit)
                let query = filter
                let events = try storeCall { () throws(StoreError) in try store.events(query) }
                return (events, events.count == query.first ? events.last?.seq : nil)
            } page: { events in
                if named {
                    let names = try storeCall { () throws(StoreError) in
                        try store.holderNames(Set(events.compactMap(\.record.holderID)))
                    }
                    try page(events.map { EventListing.json($0, names: names) })
                } else {
                    try page(events.map(\.json))
                }
                progress?.advance(by: Int64(events.count))
            }
        }
    }

    /// From a file: every page of it must read (`PRAGMA quick_check`; an export is evidence, so damage where no
    /// event lives fails it too). Through the daemon, the daemon checks its own file.
    func requireSoundFile() throws {
        guard case .file(let store) = origin else { return }
        do {
            try store.checkIntegrity()
        } catch .damaged(let path, let report) {
            throw ExitWith(message: "FAILED: \(path) is damaged: \(report)", code: 1)
        }
    }

    /// The log's public key and purge anchor.
    func keys() throws -> AuditKeys {
        switch origin {
        case .daemon(let client):
            return try client.call(AuditPubkeyCommand())
        case .file(let store):
            return AuditKeys(
                publicKey: try storeCall { () throws(StoreError) in try store.publicKey() }.description,
                anchor: try storeCall { () throws(StoreError) in try store.anchor() }.map {
                    AnchorInfo(
                        seq: $0.seq, hash: $0.hash, time: $0.time, key: $0.keyID,
                        signature: $0.signature.base64EncodedString())
                })
        }
    }

    /// How many events the log holds (for a progress bar): through the daemon, its last seq after the purge
    /// anchor.
    func eventCount() throws -> Int64 {
        switch origin {
        case .daemon(let client):
            let last = try client.call(StatusCommand()).log.lastSeq
            return last - (try client.call(AuditPubkeyCommand()).anchor?.seq ?? 0)
        case .file(let store):
            return try storeCall { () throws(StoreError) in try store.eventCount() }
        }
    }

    /// The latest checkpoint's text form, if any.
    func latestCheckpoint() throws -> String? {
        switch origin {
        case .daemon(let client): try client.call(AuditCheckpointCommand()).checkpoint
        case .file(let store): try storeCall { () throws(StoreError) in try store.latestCheckpoint() }?.description
        }
    }

    /// Hands every checkpoint's text form to `page`, a page at a time, in seq order.
    func eachCheckpointPage(_ page: ([String]) throws -> Void) throws {
        switch origin {
        case .daemon(let client):
            try eachPage(AuditCheckpointsCommand(), .all, client: client, page)
        case .file(let store):
            try eachPage(PageRange(after: 0, limit: nil)) { after, limit in
                let checkpoints = try storeCall { () throws(StoreError) in
                    try store.checkpoints(after: after ?? 0, limit: Int(limit))
                }
                return (checkpoints, checkpoints.count == Int(limit) ? checkpoints.last?.seq : nil)
            } page: {
                try page($0.map(\.description))
            }
        }
    }

    /// The filter a file is read with: `command`'s, times in `zone`.
    static func filter(_ command: EventsListCommand, zone: SiteZone) throws -> EventFilter {
        EventFilter(
            since: try command.since.map { try parseTime($0, option: "--since", zone: zone) },
            until: try command.until.map { try parseTime($0, option: "--until", zone: zone) },
            holderID: command.holder.map(HolderID.init(rawValue:)),
            outcome: command.outcome.flatMap(Outcome.init(rawValue:)),
            reason: command.reason.flatMap(ReasonCode.init(rawValue:)))
    }
}
