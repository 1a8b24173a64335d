public import Foundation
public import LabDoorCore

/// The demo data set: holders that show each kind of decision. Built relative to `now` so that the demo always
/// has a visitor registered today, an expired registration, and so on.
public struct DemoData: Sendable {
    /// One demo holder with the badge number to type and what it should do.
    public struct Entry: Sendable {
        /// The badge number to type.
        public let badgeNumber: String
        /// The credential the store would return.
        public let credential: Credential
        /// What should happen during opening hours.
        public let expectation: String
    }

    /// The holders.
    public let entries: [Entry]

    /// Builds the data set for `now` in `zone` (registrations are whole local days).
    public init(now: Date, zone: SiteZone) {
        let today = zone.local(now).date
        func startOf(_ date: LocalDate) -> Date {
            zone.firstInstant(atOrAfter: LocalDateTime(date: date, time: .startOfDay))
        }
        func entry(
            _ id: Int64, _ number: String, _ name: String, _ profile: String, _ days: [(Int, Int)],
            suspended: Bool = false, expectation: String
        ) -> Entry {
            let holderID = HolderID(rawValue: id)
            let registrations = days.enumerated().map { index, span in
                Registration(
                    id: id * 10 + Int64(index), holderID: holderID, from: startOf(today.adding(days: span.0)),
                    until: startOf(today.adding(days: span.1)))
            }
            let badge = Badge(
                fingerprint: BadgeFingerprint(rawValue: "demo-\(number)"), lastFour: String(number.suffix(4)),
                holderID: holderID)
            return Entry(
                badgeNumber: number,
                credential: Credential(
                    badge: badge,
                    holder: Holder(id: holderID, name: name, profile: profile, suspended: suspended),
                    registrations: registrations),
                expectation: expectation)
        }
        entries = [
            entry(
                1, "1000000001", "Aino Visitor", "visitor", [(0, 7)],
                expectation: "granted during opening hours this week"),
            entry(2, "1000000002", "Mikko Member", "member", [(-30, 335)], expectation: "granted during opening hours"),
            entry(3, "1000000003", "Sanna Staff", "staff", [], expectation: "granted at any time"),
            entry(
                4, "1000000004", "Ville Suspended", "member", [(-30, 335)], suspended: true,
                expectation: "denied: holder_suspended"),
            entry(5, "1000000005", "Eeva Expired", "visitor", [(-7, -6)], expectation: "denied: registration_expired"),
        ]
    }

    /// The credential of a typed badge number, or nil for an unknown one.
    public func credential(for number: String) -> Credential? {
        entries.first { $0.badgeNumber == number }?.credential
    }
}
