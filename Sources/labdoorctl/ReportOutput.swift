import Foundation
import LabDoorCore

/// `labdoorctl report` in a terminal (Unicode bar charts within 80 columns) and as one self-contained SVG.
enum ReportOutput {
    /// The widest line of the terminal form.
    static let columns = 80

    // MARK: Terminal

    static func terminal(_ report: UsageReport, site: String) -> String {
        var lines: [String] = []
        lines.append("\(site): \(report.from) to \(report.to) (\(report.timeZone))")
        lines.append(
            "\(report.granted) entries granted, \(report.denied) denied; door forced \(report.door.forced)×, held open \(report.door.heldOpen)×"
        )
        lines.append("")
        lines.append("Entries per day (█ granted, ░ denied)")
        let dayMax = report.days.map { $0.granted + $0.denied }.max() ?? 0
        let countWidth = String(dayMax).count
        let barWidth = columns - 15 - (2 * countWidth + 4)
        for day in report.days {
            let granted = scaled(day.granted, of: dayMax, width: barWidth)
            let denied =
                day.denied > 0 ? max(1, scaled(day.granted + day.denied, of: dayMax, width: barWidth) - granted) : 0
            let bar = String(repeating: "█", count: granted) + String(repeating: "░", count: denied)
            lines.append(
                "\(day.date) \(day.weekday) \(bar.padded(barWidth)) \(String(day.granted).leftPadded(countWidth)) / \(String(day.denied).leftPadded(countWidth))"
                    .trimmingTrailingSpaces)
        }
        lines.append("")
        lines.append("Entries by weekday and hour (darker: more; busiest cell = █)")
        lines.append(
            ("     " + stride(from: 0, to: 24, by: 3).map { LocalDate.pad($0, 2).padded(6) }.joined())
                .trimmingTrailingSpaces)
        let heatMax = report.heatmap.flatMap(\.hours).max() ?? 0
        let shades: [Character] = ["·", "░", "▒", "▓", "█"]
        for row in report.heatmap {
            let cells = row.hours.map { count -> String in
                guard count > 0, heatMax > 0 else { return "  " }
                let level = min(
                    shades.count - 1, Int((Double(count) / Double(heatMax) * Double(shades.count - 1)).rounded(.up)))
                return String(repeating: shades[level], count: 2)
            }
            lines.append(("\(row.weekday)  " + cells.joined()).trimmingTrailingSpaces)
        }
        lines.append("")
        lines.append("Denials by reason")
        if report.denials.isEmpty { lines.append("  none") }
        let reasonWidth = report.denials.map(\.reason.count).max() ?? 0
        let denialMax = report.denials.map(\.count).max() ?? 0
        let denialCountWidth = String(denialMax).count
        for denial in report.denials {
            let width = columns - reasonWidth - denialCountWidth - 6
            lines.append(
                "  \(denial.reason.padded(reasonWidth)) \(String(repeating: "█", count: max(1, scaled(denial.count, of: denialMax, width: width))).padded(width)) \(String(denial.count).leftPadded(denialCountWidth))"
                    .trimmingTrailingSpaces)
        }
        lines.append("")
        lines.append("Busiest hours")
        if report.busiestHours.isEmpty { lines.append("  none") }
        for busy in report.busiestHours {
            lines.append(
                "  \(busy.weekday) \(LocalDate.pad(busy.hour, 2)):00–\(LocalDate.pad((busy.hour + 1) % 24, 2)):00  \(busy.entries) entries"
            )
        }
        lines.append("")
        lines.append("Readers")
        if report.readers.isEmpty { lines.append("  no reader events") }
        for reader in report.readers {
            lines.append(
                "  \(reader.reader): \(reader.decisions) decisions, attached \(reader.attached)×, detached \(reader.detached)×, locked out \(reader.lockedOut)×"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// `value` of `maximum` as a bar of at most `width` cells (0 for 0).
    private static func scaled(_ value: Int64, of maximum: Int64, width: Int) -> Int {
        guard maximum > 0, value > 0 else { return 0 }
        return max(1, Int((Double(value) / Double(maximum) * Double(width)).rounded()))
    }

    // MARK: SVG

    /// One self-contained SVG (no scripts, no external references): entries per day as stacked bars with axes
    /// and a legend, the weekday × hour heat map with its scale, denials by reason. Every bar and cell carries
    /// its numbers (`data-*` and a `<title>` tooltip), the same as the JSON's.
    static func svg(_ report: UsageReport, site: String) -> String {
        let width = 960
        let margin = 60
        let plotWidth = width - 2 * margin
        var body: [String] = []
        var y = 40
        body.append(
            text(x: margin, y: y, size: 20, weight: "bold", "\(site) — use from \(report.from) to \(report.to)"))
        y += 22
        body.append(
            text(
                x: margin, y: y, size: 13,
                "\(report.granted) entries granted, \(report.denied) denied · door forced \(report.door.forced)×, held open \(report.door.heldOpen)× · times in \(report.timeZone)"
            ))

        // Entries per day.
        y += 40
        body.append(text(x: margin, y: y, size: 15, weight: "bold", "Entries per day"))
        legend(&body, x: width - margin - 220, y: y - 12, [("#2e7d32", "granted"), ("#c62828", "denied")])
        let chartTop = y + 15
        let chartHeight = 220
        let dayMax = max(1, report.days.map { $0.granted + $0.denied }.max() ?? 1)
        let slot = Double(plotWidth) / Double(max(1, report.days.count))
        let barWidth = max(1, slot * 0.8)
        body.append(
            "<g class=\"axes\" stroke=\"#555\" stroke-width=\"1\"><line x1=\"\(margin)\" y1=\"\(chartTop)\" x2=\"\(margin)\" y2=\"\(chartTop + chartHeight)\"/><line x1=\"\(margin)\" y1=\"\(chartTop + chartHeight)\" x2=\"\(margin + plotWidth)\" y2=\"\(chartTop + chartHeight)\"/></g>"
        )
        for tick in [0, dayMax / 2, dayMax] {
            let ty = chartTop + chartHeight - Int(Double(tick) / Double(dayMax) * Double(chartHeight))
            body.append(
                "<line x1=\"\(margin - 4)\" y1=\"\(ty)\" x2=\"\(margin)\" y2=\"\(ty)\" stroke=\"#555\"/>"
                    + text(x: margin - 8, y: ty + 4, size: 11, anchor: "end", String(tick)))
        }
        body.append(text(x: 16, y: chartTop + chartHeight / 2, size: 11, rotate: true, "decisions"))
        let labelEvery = max(1, report.days.count / 10)
        for (index, day) in report.days.enumerated() {
            let x = Double(margin) + Double(index) * slot + (slot - barWidth) / 2
            let grantedHeight = Double(day.granted) / Double(dayMax) * Double(chartHeight)
            let deniedHeight = Double(day.denied) / Double(dayMax) * Double(chartHeight)
            let base = Double(chartTop + chartHeight)
            body.append(
                "<g class=\"day\" data-date=\"\(day.date)\" data-granted=\"\(day.granted)\" data-denied=\"\(day.denied)\"><title>\(escape("\(day.date) \(day.weekday): \(day.granted) granted, \(day.denied) denied"))</title>"
                    + "<rect x=\"\(f(x))\" y=\"\(f(base - grantedHeight))\" width=\"\(f(barWidth))\" height=\"\(f(grantedHeight))\" fill=\"#2e7d32\"/>"
                    + "<rect x=\"\(f(x))\" y=\"\(f(base - grantedHeight - deniedHeight))\" width=\"\(f(barWidth))\" height=\"\(f(deniedHeight))\" fill=\"#c62828\"/></g>"
            )
            if index % labelEvery == 0 {
                body.append(
                    text(
                        x: Int(x + barWidth / 2), y: chartTop + chartHeight + 16, size: 10, anchor: "middle",
                        String(day.date.dropFirst(5))))
            }
        }

        // Heat map.
        y = chartTop + chartHeight + 60
        body.append(text(x: margin, y: y, size: 15, weight: "bold", "Entries by weekday and hour"))
        let heatTop = y + 20
        let cell = plotWidth / 24
        let cellHeight = 24
        let heatMax = max(1, report.heatmap.flatMap(\.hours).max() ?? 1)
        for hour in 0..<24 where hour % 2 == 0 {
            body.append(
                text(
                    x: margin + hour * cell + cell / 2, y: heatTop - 4, size: 10, anchor: "middle",
                    LocalDate.pad(hour, 2)))
        }
        for (row, weekday) in report.heatmap.enumerated() {
            let ry = heatTop + row * cellHeight
            body.append(text(x: margin - 8, y: ry + 16, size: 11, anchor: "end", weekday.weekday))
            for (hour, count) in weekday.hours.enumerated() {
                let opacity = count == 0 ? 0.04 : 0.15 + 0.85 * Double(count) / Double(heatMax)
                body.append(
                    "<rect class=\"cell\" data-weekday=\"\(weekday.weekday)\" data-hour=\"\(hour)\" data-entries=\"\(count)\" x=\"\(margin + hour * cell)\" y=\"\(ry)\" width=\"\(cell - 1)\" height=\"\(cellHeight - 1)\" fill=\"#1565c0\" fill-opacity=\"\(f(opacity))\"><title>\(weekday.weekday) \(LocalDate.pad(hour, 2)):00: \(count) entries</title></rect>"
                )
            }
        }
        let scaleY = heatTop + 7 * cellHeight + 14
        body.append(text(x: margin, y: scaleY + 10, size: 10, "0"))
        for step in 0..<10 {
            body.append(
                "<rect x=\"\(margin + 14 + step * 16)\" y=\"\(scaleY)\" width=\"16\" height=\"12\" fill=\"#1565c0\" fill-opacity=\"\(f(0.15 + 0.85 * Double(step) / 9))\"/>"
            )
        }
        body.append(text(x: margin + 14 + 10 * 16 + 6, y: scaleY + 10, size: 10, "\(heatMax) entries in an hour"))

        // Denials by reason.
        y = scaleY + 50
        body.append(text(x: margin, y: y, size: 15, weight: "bold", "Denials by reason"))
        var ry = y + 14
        let denialMax = max(1, report.denials.map(\.count).max() ?? 1)
        if report.denials.isEmpty {
            body.append(text(x: margin, y: ry + 12, size: 12, "none"))
            ry += 20
        }
        for denial in report.denials {
            let length = Double(denial.count) / Double(denialMax) * Double(plotWidth - 260)
            body.append(
                "<g class=\"denial\" data-reason=\"\(escape(denial.reason))\" data-count=\"\(denial.count)\">"
                    + text(x: margin, y: ry + 13, size: 12, denial.reason)
                    + "<rect x=\"\(margin + 200)\" y=\"\(ry)\" width=\"\(f(max(1, length)))\" height=\"16\" fill=\"#c62828\"/>"
                    + text(x: margin + 206 + Int(length), y: ry + 13, size: 12, String(denial.count)) + "</g>")
            ry += 22
        }
        let height = ry + 30
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" data-granted="\(report.granted)" data-denied="\(report.denied)">
            <title>\(escape("\(site): use from \(report.from) to \(report.to)"))</title>
            <rect width="100%" height="100%" fill="#ffffff"/>
            \(body.joined(separator: "\n"))
            </svg>
            """
    }

    private static func legend(_ body: inout [String], x: Int, y: Int, _ items: [(String, String)]) {
        for (index, item) in items.enumerated() {
            let ix = x + index * 110
            body.append(
                "<rect x=\"\(ix)\" y=\"\(y)\" width=\"14\" height=\"14\" fill=\"\(item.0)\"/>"
                    + text(x: ix + 20, y: y + 12, size: 12, item.1))
        }
    }

    private static func text(
        x: Int, y: Int, size: Int, weight: String? = nil, anchor: String? = nil, rotate: Bool = false, _ content: String
    ) -> String {
        var attributes = "x=\"\(x)\" y=\"\(y)\" font-size=\"\(size)\""
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let anchor { attributes += " text-anchor=\"\(anchor)\"" }
        if rotate { attributes += " transform=\"rotate(-90 \(x) \(y))\" text-anchor=\"middle\"" }
        return "<text \(attributes)>\(escape(content))</text>"
    }

    /// XML text and attribute escaping; control characters (not allowed in XML 1.0) become U+FFFD.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: out.unicodeScalars.append(scalar.value < 0x20 ? "\u{FFFD}" : scalar)
            }
        }
        return out
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
