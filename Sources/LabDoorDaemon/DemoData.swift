import Foundation
import LabDoorCore
import LabDoorStore

/// The demo site: holders that show each kind of decision, written into a fresh store, relative to `now` (before
/// the decision loop and its event sink start, so nothing else writes then).
struct DemoData {
    struct Entry {
        let number: String
        let name: String
        let profile: String
        let expectation: String
    }

    static let unknownNumber = "9999999999"

    /// Seeds `store` and returns the entries to show.
    static func seed(_ store: LabDoorStore, now: Date, zone: SiteZone) throws(StoreError) -> [Entry] {
        let context = ChangeContext(actor: "demo", now: now, clockTrusted: true)
        let today = zone.local(now).date
        func day(_ offset: Int) -> Date {
            zone.firstInstant(atOrAfter: LocalDateTime(date: today.adding(days: offset), time: .startOfDay))
        }
        let entries: [(Entry, registrations: [(Int, Int)], suspended: Bool)] = [
            (
                Entry(
                    number: "1000000001", name: "Aino Visitor", profile: "visitor",
                    expectation: "granted during opening hours (registered this week)"), [(0, 7)], false
            ),
            (
                Entry(
                    number: "1000000002", name: "Mikko Member", profile: "member",
                    expectation: "granted during opening hours"), [(-30, 335)], false
            ),
            (
                Entry(number: "1000000003", name: "Sanna Staff", profile: "staff", expectation: "granted at any time"),
                [], false
            ),
            (
                Entry(
                    number: "1000000004", name: "Ville Suspended", profile: "member",
                    expectation: "denied: holder_suspended"), [(-30, 335)], true
            ),
            (
                Entry(
                    number: "1000000005", name: "Eeva Expired", profile: "visitor",
                    expectation: "denied: registration_expired"), [(-7, -6)], false
            ),
        ]
        for (entry, registrations, suspended) in entries {
            let holder = try store.addHolder(name: entry.name, profile: entry.profile, context)
            _ = try store.assignBadge(try badge(entry.number), to: holder.id, context)
            for (from, until) in registrations {
                _ = try store.addRegistration(holder: holder.id, from: day(from), until: day(until), context)
            }
            if suspended { _ = try store.apply(.setSuspended(holder.id, true), context) }
        }
        return entries.map(\.0)
    }

    private static func badge(_ number: String) throws(StoreError) -> BadgeID {
        do { return try BadgeID(parsing: number) } catch { throw .invalid(error.description) }
    }
}
