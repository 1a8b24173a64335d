public import Foundation

/// Parses the times people type on the command line into instants, in the site zone.
///
/// Accepted: `YYYY-MM-DD` (the start of that local day), `YYYY-MM-DDTHH:MM[:SS]` or with a space instead of `T`
/// (local wall time), and either of those with `Z` or an offset such as `+03:00` (an exact instant). A local
/// time that does not exist (clocks go forward) or happens twice (clocks go back) is refused with the offsets to
/// write instead: a registration must never start an hour earlier or later than meant.
public enum InstantParser {
    /// Why a text is not a time.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong and what to write.
        public let description: String
    }

    /// Parses `text` in `zone`.
    public static func parse(_ text: String, zone: SiteZone) throws(ParseError) -> Date {
        let trimmed = text.trimmingSpaces
        if let date = LocalDate(iso: trimmed) {
            return zone.firstInstant(atOrAfter: LocalDateTime(date: date, time: .startOfDay))
        }
        // An explicit zone: Z or ±HH:MM at the end.
        var body = Substring(trimmed)
        var offset: Int?
        if body.hasSuffix("Z") || body.hasSuffix("z") {
            offset = 0
            body = body.dropLast()
        } else if body.count > 6, let signIndex = body.index(body.endIndex, offsetBy: -6, limitedBy: body.startIndex),
            body[signIndex] == "+" || body[signIndex] == "-"
        {
            let tail = body[body.index(after: signIndex)...]
            let parts = tail.split(separator: ":")
            if parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), parts[0].count == 2,
                parts[1].count == 2, hours <= 14, minutes < 60
            {
                offset = (hours * 3600 + minutes * 60) * (body[signIndex] == "-" ? -1 : 1)
                body = body[..<signIndex]
            }
        }
        guard let local = LocalDateTime(iso: body) else {
            throw ParseError(
                description:
                    "\"\(text)\" is not a time; write YYYY-MM-DD, YYYY-MM-DDTHH:MM (\(zone.identifier) time) or add an offset, e.g. 2027-01-04T09:00+02:00"
            )
        }
        if let offset {
            return Date(timeIntervalSince1970: TimeInterval(local.wallSeconds - offset))
        }
        switch zone.resolve(local) {
        case .unique(let instant):
            return instant
        case .skipped(let jump):
            let before = zone.offset(at: jump.addingTimeInterval(-1))
            let after = zone.offset(at: jump)
            throw ParseError(
                description:
                    "\(local) does not exist in \(zone.identifier) (the clocks skip that hour); add the offset: \(format(local, before)) (the offset before the change) or \(format(local, after)) (after it)"
            )
        case .repeated(let earlier, let later):
            throw ParseError(
                description:
                    "\(local) happens twice in \(zone.identifier) (the clocks go back); add the offset: \(format(local, zone.offset(at: earlier))) for the first, \(format(local, zone.offset(at: later))) for the second"
            )
        }
    }

    /// Parses the end of a range (`until`, `--to`): a date alone means the end of that day, the next midnight, so
    /// that `--from 2027-01-04 --until 2027-01-08` covers Friday too; a time is parsed as `parse` does.
    public static func parseEnd(_ text: String, zone: SiteZone) throws(ParseError) -> Date {
        if let date = LocalDate(iso: text.trimmingSpaces) {
            return zone.firstInstant(atOrAfter: LocalDateTime(date: date.adding(days: 1), time: .startOfDay))
        }
        return try parse(text, zone: zone)
    }

    private static func format(_ local: LocalDateTime, _ offset: Int) -> String {
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        return "\(local.date)T\(local.time)\(sign)\(LocalDate.pad(minutes / 60, 2)):\(LocalDate.pad(minutes % 60, 2))"
    }
}
