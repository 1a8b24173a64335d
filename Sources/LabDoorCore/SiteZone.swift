public import Foundation

/// The site's time zone: converts between UTC instants (what is stored) and wall-clock time (what is decided).
///
/// Only the zone's UTC offsets are consulted (`TimeZone.secondsFromGMT(for:)`); all calendar arithmetic is done
/// on integers by `LocalDate`. Instants are truncated to whole seconds for wall-clock decisions, so 19:59:59.9
/// is still 19:59:59.
public struct SiteZone: Sendable, Hashable {
    /// The underlying zone, e.g. Europe/Helsinki.
    public let timeZone: TimeZone

    /// The Lab's zone.
    public static let helsinkiIdentifier = "Europe/Helsinki"

    /// Creates a site zone from an IANA identifier; nil when the system's zone data does not know it (install
    /// the `tzdata` package).
    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.timeZone = zone
    }

    /// Why a configured time zone is refused.
    public enum IdentifierError: Error, Hashable, Sendable, CustomStringConvertible {
        /// A fixed offset (`UTC+02:00`, `GMT+2`, `Etc/GMT-2`) or an abbreviation (`EET`, `UTC`): it would ignore
        /// summer time, so for half the year every opening-hours decision would be an hour off.
        case notARegion(String)
        /// Not a zone the system's zone data knows.
        case unknown(String)

        /// What is wrong and what to write instead.
        public var description: String {
            switch self {
            case .notARegion(let text):
                "\"\(text)\" is a fixed offset or an abbreviation, which ignores summer time; name the region, e.g. \"\(SiteZone.helsinkiIdentifier)\""
            case .unknown(let text):
                "\"\(text)\" is not a known IANA time zone (e.g. \"\(SiteZone.helsinkiIdentifier)\"); check the spelling and that tzdata is installed"
            }
        }
    }

    /// The IANA areas whose zones follow a region's rules (offsets and summer time): `Europe/Helsinki`,
    /// `America/Argentina/Buenos_Aires`. `Etc/…` zones are fixed offsets; bare names are abbreviations or legacy
    /// aliases.
    public static let regionAreas: Set<String> = [
        "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific",
    ]

    /// A site zone from a configured IANA region name (`Area/Location`); fixed offsets and abbreviations are
    /// refused, as are names the zone data does not know.
    public init(region identifier: String) throws(IdentifierError) {
        let parts = identifier.split(separator: "/", omittingEmptySubsequences: false)
        let wellFormed =
            parts.count >= 2 && Self.regionAreas.contains(String(parts[0]))
            && parts.dropFirst().allSatisfy { part in
                !part.isEmpty
                    && part.unicodeScalars.allSatisfy {
                        ("0"..."9").contains($0) || ("A"..."Z").contains($0) || ("a"..."z").contains($0)
                            || "_-+".unicodeScalars.contains($0)
                    }
            }
        guard wellFormed else {
            if SiteZone(identifier: identifier) == nil && !Self.looksLikeOffset(identifier) && identifier.contains("/")
            {
                throw .unknown(identifier)
            }
            throw .notARegion(identifier)
        }
        guard let zone = TimeZone(identifier: identifier), zone.identifier == identifier else {
            throw .unknown(identifier)
        }
        self.timeZone = zone
    }

    private static func looksLikeOffset(_ text: String) -> Bool {
        text.contains("+") || text.contains(":") || text.uppercased().hasPrefix("GMT")
            || text.uppercased().hasPrefix("UTC")
    }

    /// Creates a site zone from a `TimeZone`.
    public init(_ timeZone: TimeZone) { self.timeZone = timeZone }

    /// The zone's IANA identifier.
    public var identifier: String { timeZone.identifier }

    /// The UTC offset in seconds in force at `instant`.
    public func offset(at instant: Date) -> Int { timeZone.secondsFromGMT(for: instant) }

    /// The wall-clock date and time at `instant`.
    public func local(_ instant: Date) -> LocalDateTime {
        let unix = Int(instant.timeIntervalSince1970.rounded(.down))
        let wall = unix + offset(at: Date(timeIntervalSince1970: TimeInterval(unix)))
        let day = Self.floorDiv(wall, 86_400)
        return LocalDateTime(
            date: LocalDate(dayNumber: day),
            time: TimeOfDay(uncheckedSeconds: wall - day * 86_400)
        )
    }

    /// What a wall-clock time means in this zone.
    public enum Resolution: Sendable, Hashable {
        /// The wall time names exactly one instant.
        case unique(Date)
        /// The wall time happens twice (clocks went back): the first and second instant.
        case repeated(earlier: Date, later: Date)
        /// The wall time never happens (clocks went forward over it); `next` is the first instant whose wall
        /// time is later, i.e. the moment of the jump.
        case skipped(next: Date)
    }

    /// Resolves a wall-clock time to the instant(s) it names.
    public func resolve(_ local: LocalDateTime) -> Resolution {
        let wall = local.wallSeconds
        let offsets = Set([
            offset(at: Date(timeIntervalSince1970: TimeInterval(wall - 86_400))),
            offset(at: Date(timeIntervalSince1970: TimeInterval(wall))),
            offset(at: Date(timeIntervalSince1970: TimeInterval(wall + 86_400))),
        ])
        let matches = offsets.map { wall - $0 }
            .filter { offset(at: Date(timeIntervalSince1970: TimeInterval($0))) + $0 == wall }
            .sorted()
        switch matches.count {
        case 0:
            // Bisect for the first instant whose wall time is at or after `wall`. Within a gap the wall clock
            // is monotonic, so this converges on the moment of the jump.
            var low = wall - (offsets.max() ?? 0)
            var high = wall - (offsets.min() ?? 0)
            while low < high {
                let mid = Self.floorDiv(low + high, 2)
                if mid + offset(at: Date(timeIntervalSince1970: TimeInterval(mid))) >= wall {
                    high = mid
                } else {
                    low = mid + 1
                }
            }
            return .skipped(next: Date(timeIntervalSince1970: TimeInterval(low)))
        case 1:
            return .unique(Date(timeIntervalSince1970: TimeInterval(matches[0])))
        default:
            return .repeated(
                earlier: Date(timeIntervalSince1970: TimeInterval(matches[0])),
                later: Date(timeIntervalSince1970: TimeInterval(matches[matches.count - 1]))
            )
        }
    }

    /// The first instant whose wall time is `local` or later: the instant itself, the earlier of a repeated
    /// time, or the moment of the jump for a skipped one. Used for "opens at" and "starts at" instants.
    public func firstInstant(atOrAfter local: LocalDateTime) -> Date {
        switch resolve(local) {
        case .unique(let instant): instant
        case .repeated(let earlier, _): earlier
        case .skipped(let next): next
        }
    }

    /// The instant as ISO 8601 in the site zone with its offset, to the second: `2027-06-25T10:00:00+03:00` —
    /// how staff-facing output shows times.
    public func iso(_ instant: Date) -> String {
        let local = local(instant)
        let offset = offset(at: instant)
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        return
            "\(local.date)T\(LocalDate.pad(local.time.hour, 2)):\(LocalDate.pad(local.time.minute, 2)):\(LocalDate.pad(local.time.second, 2))\(sign)\(LocalDate.pad(minutes / 60, 2)):\(LocalDate.pad(minutes % 60, 2))"
    }

    /// A human-readable local time such as "Monday 2027-01-04 07:00".
    public func describe(_ instant: Date) -> String {
        let local = local(instant)
        return "\(local.date.weekday.name) \(local.date) \(local.time)"
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
