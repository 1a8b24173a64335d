import Foundation
import LabDoorCore

/// The calendar's output formats. The JSON shape is a documented interface (docs/cli.md):
/// `{"date":"2027-06-25","weekday":"Fri","open":false,"reason":"closed_holiday","holiday":"Midsummer Eve","hours":[]}`.
enum CalendarOutput {
    /// One day as a JSON object, keys in the documented order.
    static func json(_ day: DaySchedule) -> JSONValue {
        .object([
            ("date", .string(day.date.description)),
            ("weekday", .string(day.date.weekday.shortName)),
            ("open", .bool(day.isOpen)),
            ("reason", .optional(day.closedReason?.reasonCode.rawValue)),
            ("holiday", .optional(day.holiday?.name)),
            (
                "hours",
                .array(day.hours.map { .object([("from", .string("\($0.start)")), ("to", .string("\($0.end)"))]) })
            ),
        ])
    }

    static func render(_ days: [DaySchedule], format: OutputFormat) -> String {
        switch format {
        case .json:
            return "[\n" + days.map { json($0).description }.joined(separator: ",\n") + "\n]"
        case .csv:
            let rows = days.map { day in
                [
                    day.date.description, day.date.weekday.shortName, day.isOpen ? "true" : "false",
                    day.closedReason?.reasonCode.rawValue ?? "", csvField(day.holiday?.name ?? ""),
                    day.hours.map(\.description).joined(separator: " "),
                ].joined(separator: ",")
            }
            return (["date,weekday,open,reason,holiday,hours"] + rows).joined(separator: "\n")
        case .table:
            let rows = days.map { day -> String in
                let hours = day.isOpen ? day.hours.map(\.description).joined(separator: ", ") : "closed"
                var note: [String] = []
                if let holiday = day.holiday { note.append(holiday.name) }
                if case .closure(let reason) = day.closedReason {
                    note.append("closure: \(TextEscaping.escaped(reason))")
                }
                if let special = day.note, day.isOpen { note.append("special hours: \(TextEscaping.escaped(special))") }
                let line =
                    "\(day.date)  \(day.date.weekday.shortName)  \(hours.padding(toLength: 24, withPad: " ", startingAt: 0))\(note.joined(separator: "; "))"
                return String(line.reversed().drop(while: { $0 == " " }).reversed())
            }
            return (["DATE        DAY  HOURS                   NOTE"] + rows).joined(separator: "\n")
        }
    }

    /// Quotes a CSV field when it contains a comma, quote or line break (RFC 4180).
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
