import Foundation
import LabDoorCore
import LabDoorProtocol

/// The calendar's output formats. The JSON shape is a documented interface (docs/cli.md), one day per line:
/// `{"date":"2027-06-25","weekday":"Fri","open":false,"reason":"closed_holiday","holiday":"Midsummer Eve","hours":[],"note":null}`.
enum CalendarOutput {
    static func render(_ days: [CalendarDay], format: OutputFormat) throws -> String {
        switch format {
        case .json:
            return "[\n" + (try days.map { try json($0).description }).joined(separator: ",\n") + "\n]"
        case .csv:
            let rows = days.map { day in
                [
                    day.date, day.weekday, day.open ? "true" : "false", day.reason ?? "", csvField(day.holiday ?? ""),
                    day.hours.map { "\($0.from)-\($0.to)" }.joined(separator: " "), csvField(day.note ?? ""),
                ].joined(separator: ",")
            }
            return (["date,weekday,open,reason,holiday,hours,note"] + rows).joined(separator: "\n")
        case .table:
            let rows = days.map { day -> String in
                let hours = day.open ? day.hours.map { "\($0.from)-\($0.to)" }.joined(separator: ", ") : "closed"
                var note: [String] = []
                if let holiday = day.holiday { note.append(holiday) }
                if day.reason == ReasonCode.closedClosure.rawValue {
                    note.append("closure: \(TextEscaping.escaped(day.note ?? ""))")
                } else if let special = day.note, day.open {
                    note.append("special hours: \(TextEscaping.escaped(special))")
                }
                let line = "\(day.date)  \(day.weekday)  \(hours.padded(24))\(note.joined(separator: "; "))"
                return line.trimmingTrailingSpaces
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
