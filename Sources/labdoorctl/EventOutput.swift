import Foundation
import LabDoorCore
import LabDoorStore

/// The event formats. JSON and CSV carry the log's UTC times and every column (a stable, documented interface:
/// docs/cli.md); the table shows site-zone times with their offset, for people.
enum EventOutput {
    static let columns = [
        "seq", "time", "kind", "reader", "badge", "holder", "outcome", "reason", "actor", "details", "clock_trusted",
        "prev_hash", "hash",
    ]
    /// The columns of `events`: the log's, with the holder's name joined in after the holder id.
    static let namedColumns = columns.flatMap { $0 == "holder" ? ["holder", "holder_name"] : [$0] }

    /// An event without the joined-in `holder_name`: the log's own columns (`audit export`).
    static func withoutNames(_ event: JSONValue) -> JSONValue {
        guard case .object(let members) = event else { return event }
        return .object(members.filter { $0.0 != "holder_name" })
    }

    /// The table's columns and their widths; the header and every row use them, so they line up.
    static let tableColumns: [(name: String, width: Int)] = [
        ("SEQ", 8), ("TIME", 25), ("KIND", 22), ("OUTCOME", 7), ("READER", 8), ("HOLDER", 24), ("REASON", 22),
        ("DETAILS", 0),
    ]

    /// One event in the chosen format, rendered from its JSON form (the documented interface), so that listed
    /// events and events streamed by `--follow` look the same.
    static func line(
        _ event: JSONValue, format: OutputFormat, zone: SiteZone, columns: [String] = EventOutput.columns
    ) -> String {
        // Text from the log is shown with control characters escaped: an ESC sequence in old details or a name
        // must not repaint the terminal or fake a row (JSON escapes them by itself).
        func text(_ key: String) -> String? {
            switch event[key] {
            case .string(let s)?: TextEscaping.escaped(s)
            case .int(let n)?: String(n)
            case .bool(let b)?: b ? "true" : "false"
            default: nil
            }
        }
        switch format {
        case .json:
            return event.description
        case .csv:
            return columns.map { CalendarOutput.csvField(text($0) ?? "") }.joined(separator: ",")
        case .table:
            let time = text("time").flatMap(UTCTimestamp.parse).map {
                zone.iso($0).replacingOccurrences(of: "T", with: " ")
            }
            let holder = [text("holder"), text("holder_name")].compactMap { $0 }.joined(separator: " ")
            let details = [text("actor").map { "by \($0)" }, text("details")].compactMap { $0 }.joined(separator: " ")
            let cells = [
                text("seq") ?? "?", time ?? "?", text("kind") ?? "", text("outcome") ?? "-", text("reader") ?? "-",
                holder.isEmpty ? "-" : holder, text("reason") ?? "-", details,
            ]
            return tableRow(cells)
        }
    }

    /// The table's header line: the same widths as the rows.
    static func tableHeader(zone: SiteZone) -> String {
        tableRow(tableColumns.map { $0.name == "TIME" ? "TIME (\(zone.identifier))" : $0.name })
    }

    private static func tableRow(_ cells: [String]) -> String {
        zip(cells, tableColumns).enumerated().map { index, pair in
            index == 0 ? pair.0.leftPadded(pair.1.width) : pair.0.padded(pair.1.width)
        }.joined(separator: "  ").trimmingTrailingSpaces
    }
}

/// Prints events as they arrive, in the chosen format, holding none of them: JSON as one array written as it
/// comes, CSV with its header, the table with its header.
final class EventPrinter {
    private let format: OutputFormat
    private let zone: SiteZone
    private let columns: [String]
    private var count = 0

    init(format: OutputFormat, zone: SiteZone, columns: [String]) {
        self.format = format
        self.zone = zone
        self.columns = columns
        switch format {
        case .json: Swift.print("[", terminator: "")
        case .csv: Swift.print(columns.joined(separator: ","))
        case .table: Swift.print(EventOutput.tableHeader(zone: zone))
        }
    }

    /// Prints events.
    func print(_ events: [JSONValue]) {
        if format == .json {
            // A page as one buffer of bytes, written after what Swift.print has buffered.
            var out: [UInt8] = []
            for event in events {
                out.append(contentsOf: (count == 0 ? "\n" : ",\n").utf8)
                event.write(to: &out)
                count += 1
            }
            fflush(nil)
            try? FileHandle.standardOutput.write(contentsOf: out)
        } else {
            for event in events {
                Swift.print(EventOutput.line(event, format: format, zone: zone, columns: columns))
                count += 1
            }
        }
        fflush(nil)
    }

    /// Ends the output.
    func finish() {
        if format == .json { Swift.print(count == 0 ? "]" : "\n]") }
        fflush(nil)
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
    var trimmingTrailingSpaces: String { String(reversed().drop(while: { $0 == " " }).reversed()) }
}
