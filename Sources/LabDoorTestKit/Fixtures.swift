public import Foundation
public import LabDoorCore

/// Builders for test data, so that tests say what matters and not how records are assembled.
public enum Fixtures {
    /// The Lab's zone (Europe/Helsinki). Tests need the `tzdata` package, which `make test` installs; without it
    /// they stop here, rather than quietly deciding in GMT and passing or failing for the wrong reason.
    public static let helsinki: SiteZone = {
        guard let zone = SiteZone(identifier: SiteZone.helsinkiIdentifier) else {
            preconditionFailure("test fixture: no zone data for Europe/Helsinki; install the tzdata package")
        }
        return zone
    }()

    /// The Lab's default policy: weekly hours Mon–Fri 07–20, Finnish holidays, default profiles.
    public static func labPolicy(overrides: [CalendarOverride] = []) -> AccessPolicy {
        AccessPolicy(calendar: OpeningCalendar(zone: helsinki, overrides: overrides))
    }

    /// The instant a Helsinki wall time names (the earlier one if repeated, the jump if skipped).
    /// `text` is `YYYY-MM-DD HH:MM[:SS]`; an unparsable text is a programmer error in the test.
    public static func helsinkiInstant(_ text: String) -> Date {
        guard let local = LocalDateTime(iso: text) else {
            preconditionFailure("test fixture: \(text) is not YYYY-MM-DD HH:MM[:SS]")
        }
        return helsinki.firstInstant(atOrAfter: local)
    }

    /// A date from `YYYY-MM-DD`; an unparsable text is a programmer error in the test.
    public static func date(_ text: String) -> LocalDate {
        guard let date = LocalDate(iso: text) else { preconditionFailure("test fixture: \(text) is not a date") }
        return date
    }

    /// A credential: a badge for a holder with the given profile and registrations.
    public static func credential(
        holder id: Int64 = 17, name: String = "Aino Virtanen", profile: String = "visitor",
        registrations: [(from: Date, until: Date)] = [], suspended: Bool = false, revoked: Bool = false
    ) -> Credential {
        let holderID = HolderID(rawValue: id)
        return Credential(
            badge: Badge(
                fingerprint: BadgeFingerprint(rawValue: "fp-\(id)"), lastFour: "1234", holderID: holderID,
                revoked: revoked),
            holder: Holder(id: holderID, name: name, profile: profile, suspended: suspended),
            registrations: registrations.enumerated().map { index, window in
                Registration(id: Int64(index + 1), holderID: holderID, from: window.from, until: window.until)
            })
    }
}
