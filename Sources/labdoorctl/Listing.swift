import ArgumentParser
import Foundation
import LabDoorCore
import LabDoorProtocol

/// Options of every listing: how many and where to start.
struct PageOptions: ParsableArguments {
    @Option(help: "At most this many (default: all, fetched \(Paging.maximumLimit) at a time).")
    var limit: Int64?

    @Option(help: "Start after this id (the last id of a previous listing).")
    var after: Int64?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// The range these options ask for.
    var range: PageRange { PageRange(after: after, limit: limit) }
}

/// Which part of a listing to fetch: after an id, at most a number of items (nil: from the start, all of it).
struct PageRange {
    var after: Int64?
    var limit: Int64?

    /// The whole listing.
    static let all = PageRange(after: nil, limit: nil)
}

/// A table's columns: a header, and each row's cells, for table and CSV output alike.
struct Columns<Item>: Sendable {
    let names: [String]
    let cells: @Sendable (Item) -> [String]
}

/// Prints items as they arrive, in the chosen format, without holding the listing in memory: JSON as one array
/// (items written as they come), CSV with a header, a table whose widths come from the first page.
final class ListPrinter<Item: Encodable> {
    private let format: OutputFormat
    private let columns: Columns<Item>
    private var count = 0
    private var widths: [Int]?

    init(format: OutputFormat, columns: Columns<Item>) {
        self.format = format
        self.columns = columns
        switch format {
        case .json: Swift.print("[", terminator: "")
        case .csv: Swift.print(columns.names.joined(separator: ","))
        case .table: break
        }
    }

    /// Prints one page.
    func print(_ items: [Item]) throws {
        switch format {
        case .json:
            for item in items {
                Swift.print((count == 0 ? "\n" : ",\n") + (try json(item)).description, terminator: "")
                count += 1
            }
        case .csv:
            for item in items { Swift.print(columns.cells(item).map(CalendarOutput.csvField).joined(separator: ",")) }
            count += items.count
        case .table:
            let rows = items.map { columns.cells($0).map { TextEscaping.escaped($0) } }
            if widths == nil {
                widths = columns.names.indices.map { column in
                    min(40, ([columns.names[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0)
                }
                Swift.print(line(columns.names))
            }
            for row in rows { Swift.print(line(row)) }
            count += items.count
        }
        fflush(nil)
    }

    /// Ends the listing.
    func finish() {
        switch format {
        case .json: Swift.print(count == 0 ? "]" : "\n]")
        case .csv: break
        case .table: if widths == nil { Swift.print(line(columns.names)) }
        }
    }

    private func line(_ cells: [String]) -> String {
        let widths = widths ?? cells.map(\.count)
        return zip(cells, widths).map { $0.padded($1) }.joined(separator: "  ").trimmingTrailingSpaces
    }
}

/// JSON of an encodable value, or a failure naming it.
func json(_ value: some Encodable) throws -> JSONValue {
    do {
        return try ControlEncoder().encode(value)
    } catch {
        throw Failure("cannot print the result as JSON: \(error)")
    }
}

/// Fetches every page of `command` (from `options.after`, at most `options.limit` items) on one connection and
/// hands each page to `page` as it arrives.
func eachPage<C: PagedCommand, Item>(
    _ command: C, _ options: PageRange, client: ControlClient, _ page: ([Item]) throws -> Void
) throws where C.Result == Page<Item> {
    var command = command
    try eachPage(options) { after, limit in
        command.after = after
        command.limit = limit
        let result = try client.call(command)
        return (result.items, result.nextAfter)
    } page: {
        try page($0)
    }
}

/// The paging loop of every listing, from the daemon or a file: `fetch(after, limit)` gives one page and where
/// the next starts (nil: no more); pages of at most `Paging.maximumLimit` until the range's limit is reached.
func eachPage<Item>(
    _ range: PageRange, fetch: (_ after: Int64?, _ limit: Int64) throws -> (items: [Item], next: Int64?),
    page: ([Item]) throws -> Void
) throws {
    var after = range.after
    var remaining = range.limit
    while true {
        let (items, next) = try fetch(after, min(remaining ?? Paging.maximumLimit, Paging.maximumLimit))
        try page(items)
        if let left = remaining { remaining = left - Int64(items.count) }
        guard let next, (remaining ?? 1) > 0 else { return }
        after = next
    }
}

/// Lists every page of `command` in the chosen format.
func list<C: PagedCommand, Item: Encodable>(
    _ command: C, _ options: PageOptions, _ global: GlobalOptions, columns: Columns<Item>
) throws where C.Result == Page<Item> {
    let client = try ControlClient(socketPath: global.socket)
    let printer = ListPrinter(format: global.format, columns: columns)
    try eachPage(command, options.range, client: client) { try printer.print($0) }
    printer.finish()
}

/// A possibly absent value as a cell.
func cell(_ value: String?) -> String { value ?? "" }
