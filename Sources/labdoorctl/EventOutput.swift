import LabDoorCore
import LabDoorStore

/// The event formats. JSON and CSV carry UTC times and every column (a stable, documented interface:
/// docs/cli.md); the table shows site-zone times for people.
enum EventOutput {
    static let columns = [
        "seq", "time", "kind", "reader", "badge", "holder", "outcome", "reason", "actor", "details", "clock_trusted",
        "prev_hash", "hash",
    ]
    /// The columns of `events`: the log's, with the holder's name joined in after the holder id.
    static let namedColumns = columns.flatMap { $0 == "holder" ? ["holder", "holder_name"] : [$0] }

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
            let time = text("time").flatMap(UTCTimestamp.parse).map { zone.local($0) }
            let holder = [text("holder"), text("holder_name")].compactMap { $0 }.joined(separator: " ")
            let fields = [
                (text("seq") ?? "?").leftPadded(6), time.map { "\($0.date) \($0.time.hhmmss)" } ?? "?",
                (text("kind") ?? "").padded(22), (text("reader") ?? "-").padded(8),
                (holder.isEmpty ? "-" : holder).padded(columns.contains("holder_name") ? 24 : 6),
                (text("reason") ?? text("outcome") ?? "-").padded(24), text("actor").map { "by \($0) " } ?? "",
            ]
            return (fields.joined(separator: "  ") + (text("details") ?? "")).trimmingTrailingSpaces
        }
    }

    static func tableHeader(zone: SiteZone, named: Bool = false) -> String {
        "   SEQ  TIME (\(zone.identifier))".padded(31) + "  KIND                    READER    "
            + (named ? "HOLDER".padded(24) : "HOLDER") + "  REASON                    DETAILS"
    }

    /// The log's events as the log has them (`audit export`).
    static func render(_ events: [LoggedEvent], format: OutputFormat, zone: SiteZone) -> String {
        render(events.map(\.json), format: format, zone: zone, columns: columns)
    }

    /// Events in their JSON form, in `columns` (for CSV; the table shows the names when they are there).
    static func render(_ events: [JSONValue], format: OutputFormat, zone: SiteZone, columns: [String]) -> String {
        switch format {
        case .json:
            "[\n" + events.map(\.description).joined(separator: ",\n") + (events.isEmpty ? "]" : "\n]")
        case .csv:
            ([columns.joined(separator: ",")]
                + events.map { line($0, format: .csv, zone: zone, columns: columns) }).joined(separator: "\n")
        case .table:
            ([tableHeader(zone: zone, named: columns.contains("holder_name"))]
                + events.map { line($0, format: .table, zone: zone, columns: columns) }).joined(separator: "\n")
        }
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
    var trimmingTrailingSpaces: String { String(reversed().drop(while: { $0 == " " }).reversed()) }
}

extension TimeOfDay {
    var hhmmss: String {
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(hour)):\(two(minute)):\(two(second))"
    }
}
