import LabDoorCore
import LabDoorStore

/// The event formats. JSON and CSV carry UTC times and every column (a stable, documented interface:
/// docs/cli.md); the table shows site-zone times for people.
enum EventOutput {
    static let columns = [
        "seq", "time", "kind", "reader", "badge", "holder", "outcome", "reason", "actor", "details", "clock_trusted",
        "prev_hash", "hash",
    ]

    static func json(_ event: LoggedEvent) -> JSONValue {
        let r = event.record
        return .object([
            ("seq", .int(event.seq)), ("time", .string(event.time)), ("kind", .string(r.kind.rawValue)),
            ("reader", .optional(r.reader)), ("badge", .optional(r.badge?.rawValue)),
            ("holder", r.holderID.map { .int($0.rawValue) } ?? .null), ("outcome", .optional(r.outcome?.rawValue)),
            ("reason", .optional(r.reason?.rawValue)), ("actor", .optional(r.actor)), ("details", .optional(r.details)),
            ("clock_trusted", .bool(r.clockTrusted)), ("prev_hash", .string(event.prevHash)),
            ("hash", .string(event.hash)),
        ])
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
