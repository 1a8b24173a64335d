import LabDoorCore
import LabDoorStore

/// The event formats. JSON and CSV carry UTC times and every column (a stable, documented interface:
/// docs/cli.md); the table shows site-zone times for people.
enum EventOutput {
    static let columns = [
        "seq", "time", "kind", "reader", "badge", "holder", "outcome", "reason", "actor", "details", "clock_trusted",
        "prev_hash", "hash",
    ]

    static func json(_ event: LoggedEvent) -> JSONValue { event.json }

    /// One streamed event (JSON from the daemon) in the chosen format.
    static func followLine(_ event: JSONValue, format: OutputFormat, zone: SiteZone) -> String? {
        switch format {
        case .json: return event.description
        case .csv:
            return columns.map { key in
                switch event[key] {
                case .string(let s)?: CalendarOutput.csvField(s)
                case .int(let n)?: String(n)
                case .bool(let b)?: b ? "true" : "false"
                default: ""
                }
            }.joined(separator: ",")
        case .table:
            let time = event["time"]?.stringValue.flatMap(UTCTimestamp.parse).map { zone.local($0) }
            return [
                String(event["seq"]?.intValue ?? 0).leftPadded(6), time.map { "\($0.date) \($0.time.hhmmss)" } ?? "?",
                (event["kind"]?.stringValue ?? "").padded(22), (event["reader"]?.stringValue ?? "-").padded(8),
                (event["reason"]?.stringValue ?? "-").padded(24), event["details"]?.stringValue ?? "",
            ].joined(separator: "  ").trimmingTrailingSpaces
        }
    }

    static func csvRow(_ event: LoggedEvent) -> String {
        let r = event.record
        return [
            String(event.seq), event.time, r.kind.rawValue, r.reader ?? "", r.badge?.rawValue ?? "",
            r.holderID.map { String($0.rawValue) } ?? "", r.outcome?.rawValue ?? "", r.reason?.rawValue ?? "",
            r.actor ?? "", r.details ?? "", r.clockTrusted ? "true" : "false", event.prevHash, event.hash,
        ].map(CalendarOutput.csvField).joined(separator: ",")
    }

    static func tableRow(_ event: LoggedEvent, zone: SiteZone) -> String {
        let r = event.record
        let local = zone.local(r.time)
        let fields = [
            String(event.seq).leftPadded(6), "\(local.date) \(local.time.hhmmss)", r.kind.rawValue.padded(22),
            (r.reader ?? "-").padded(8), (r.holderID.map { String($0.rawValue) } ?? "-").padded(6),
            (r.reason?.rawValue ?? r.outcome?.rawValue ?? "-").padded(24), r.actor.map { "by \($0) " } ?? "",
        ]
        return (fields.joined(separator: "  ") + (r.details ?? "")).trimmingTrailingSpaces
    }

    static func tableHeader(zone: SiteZone) -> String {
        "   SEQ  TIME (\(zone.identifier))".padded(31)
            + "  KIND                    READER    HOLDER  REASON                    DETAILS"
    }

    static func render(_ events: [LoggedEvent], format: OutputFormat, zone: SiteZone) -> String {
        switch format {
        case .json:
            "[\n" + events.map { json($0).description }.joined(separator: ",\n") + (events.isEmpty ? "]" : "\n]")
        case .csv: ([columns.joined(separator: ",")] + events.map(csvRow)).joined(separator: "\n")
        case .table: ([tableHeader(zone: zone)] + events.map { tableRow($0, zone: zone) }).joined(separator: "\n")
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
