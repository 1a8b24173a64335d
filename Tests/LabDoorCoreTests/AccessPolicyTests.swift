import Foundation
import LabDoorCore
import LabDoorTestKit
import Testing

@Suite("Access decisions")
struct AccessPolicyTests {
    let policy = Fixtures.labPolicy()
    let t = Fixtures.helsinkiInstant

    func decide(
        _ credential: Credential?, at local: String, mode: DoorMode = .normal, trusted: Bool = true
    )
        -> Decision
    {
        policy.decide(credential, at: t(local), mode: mode, clockTrusted: trusted)
    }

    /// A visitor registered Monday 2027-01-04 09:00 until 18:00.
    var visitor: Credential {
        Fixtures.credential(registrations: [(t("2027-01-04 09:00"), t("2027-01-04 18:00"))])
    }

    @Test(
        "a registration that ends at 18:00",
        arguments: [
            ("2027-01-04 08:59:59", ReasonCode.registrationNotStarted), ("2027-01-04 09:00", .granted),
            ("2027-01-04 17:59:59", .granted), ("2027-01-04 18:00", .registrationExpired),
            ("2027-01-04 19:30", .registrationExpired),
        ])
    func registrationEndingAt18(local: String, reason: ReasonCode) {
        #expect(decide(visitor, at: local).reason == reason)
    }

    @Test("explanations say what happens next")
    func explanations() {
        #expect(
            decide(visitor, at: "2027-01-04 08:00").explanation
                == "denied: registration starts Monday 2027-01-04 09:00")
        #expect(
            decide(visitor, at: "2027-01-04 18:00").explanation
                == "denied: registration ended Monday 2027-01-04 18:00 — ask the Lab staff to renew it")
        let member = Fixtures.credential(
            profile: "member", registrations: [(t("2026-12-01 00:00"), t("2027-12-01 00:00"))])
        #expect(
            decide(member, at: "2027-01-02 10:00").explanation
                == "denied: outside opening hours — opens Monday 2027-01-04 07:00")
        #expect(
            decide(member, at: "2027-01-06 10:00").explanation
                == "denied: closed for Epiphany — opens Thursday 2027-01-07 07:00")
        // The explanation goes into the log, which holds no names (DESIGN.md, Badge data and privacy).
        #expect(decide(member, at: "2027-01-07 10:00").explanation == "granted: holder 17 (member)")
        #expect(decide(nil, at: "2027-01-07 10:00").reason == .unknownBadge)
    }

    @Test(
        "opening edges for a registered member",
        arguments: [
            ("2027-01-05 06:59:59", ReasonCode.outsideOpeningHours), ("2027-01-05 07:00:00", .granted),
            ("2027-01-05 19:59:59", .granted), ("2027-01-05 20:00:00", .outsideOpeningHours),
            ("2027-06-25 12:00", .closedHoliday), ("2027-06-26 12:00", .closedHoliday),
        ])
    func memberEdges(local: String, reason: ReasonCode) {
        let member = Fixtures.credential(
            profile: "member", registrations: [(t("2026-01-01 00:00"), t("2028-01-01 00:00"))])
        #expect(decide(member, at: local).reason == reason)
    }

    @Test("a closure denies with closed_closure and its reason")
    func closure() {
        let policy = Fixtures.labPolicy(overrides: [
            CalendarOverride(
                firstDay: Fixtures.date("2027-01-05"), lastDay: Fixtures.date("2027-01-05"),
                kind: .closed(reason: "floor maintenance"))
        ])
        let member = Fixtures.credential(
            profile: "member", registrations: [(t("2026-01-01 00:00"), t("2028-01-01 00:00"))])
        let decision = policy.decide(member, at: t("2027-01-05 10:00"), mode: .normal, clockTrusted: true)
        #expect(decision.reason == .closedClosure)
        #expect(
            decision.explanation == "denied: closed (floor maintenance) — opens Wednesday 2027-01-07 07:00"
                || decision.explanation.hasPrefix("denied: closed (floor maintenance) — opens"))
    }

    @Test("staff enter at any time without a registration, also on holidays")
    func staffAlways() {
        let staff = Fixtures.credential(profile: "staff")
        for local in ["2027-01-02 03:00", "2027-12-24 23:00", "2027-01-04 12:00"] {
            #expect(decide(staff, at: local).reason == .granted, "\(local)")
        }
    }

    @Test("lockdown denies everyone but profiles with lockdown_override")
    func lockdown() {
        let staff = Fixtures.credential(profile: "staff")
        #expect(decide(visitor, at: "2027-01-04 12:00", mode: .lockdown).reason == .lockdown)
        #expect(decide(staff, at: "2027-01-04 12:00", mode: .lockdown).reason == .granted)
        // A hold-open mode does not change decisions; an expired one is normal.
        #expect(
            decide(visitor, at: "2027-01-04 12:00", mode: .holdOpen(until: t("2027-01-04 13:00"))).reason == .granted)
    }

    @Test("an untrusted clock grants only profiles that depend on neither time nor registration")
    func untrustedClock() {
        let staff = Fixtures.credential(profile: "staff")
        #expect(decide(visitor, at: "2027-01-04 12:00", trusted: false).reason == .clockUntrusted)
        #expect(decide(staff, at: "2027-01-04 12:00", trusted: false).reason == .granted)
        var policy = self.policy
        policy.profiles["night"] = AccessProfile(
            name: "night", schedule: .always, requiresRegistration: true, lockdownOverride: false)
        let night = Fixtures.credential(
            profile: "night", registrations: [(t("2027-01-01 00:00"), t("2027-02-01 00:00"))])
        #expect(
            policy.decide(night, at: t("2027-01-04 12:00"), mode: .normal, clockTrusted: false).reason
                == .clockUntrusted)
        #expect(policy.decide(night, at: t("2027-01-04 23:00"), mode: .normal, clockTrusted: true).reason == .granted)
    }

    @Test("revoked badges and suspended holders are denied before anything else")
    func revokedAndSuspended() {
        let staff = Fixtures.credential(profile: "staff", suspended: true)
        #expect(decide(staff, at: "2027-01-04 12:00", mode: .lockdown).reason == .holderSuspended)
        let revoked = Fixtures.credential(profile: "staff", revoked: true)
        #expect(decide(revoked, at: "2027-01-04 12:00").reason == .badgeRevoked)
    }

    @Test("a holder whose profile is no longer configured gets a visitor's rights, never more")
    func unknownProfileIsRestrictive() {
        let ghost = Fixtures.credential(profile: "contractor")
        #expect(decide(ghost, at: "2027-01-04 12:00").reason == .noRegistration)
        #expect(decide(ghost, at: "2027-01-04 12:00", mode: .lockdown).reason == .lockdown)
    }

    @Test("the decider locks a reader out after six denials and reports rate_limited with a retry time")
    func deciderLockout() {
        var decider = Decider(policy: policy)
        let now = t("2027-01-04 12:00")
        var monotonic = MonotonicInstant(sinceOrigin: .seconds(1000))
        var outcomes: [Decider.Outcome] = []
        for _ in 0..<7 {
            outcomes.append(
                decider.decide(nil, reader: "entry", now: now, monotonic: monotonic, mode: .normal, clockTrusted: true))
            monotonic = monotonic + .seconds(1)
        }
        #expect(outcomes.prefix(6).allSatisfy { $0.decision.reason == .unknownBadge })
        #expect(outcomes[5].lockoutStarted == .seconds(60))
        #expect(outcomes[6].decision.reason == .rateLimited)
        #expect(
            outcomes[6].decision.explanation
                == "denied: reader entry locked after repeated failed reads — try again in 59 s")
        // Another reader is unaffected; a valid badge on the locked reader is still refused.
        let staff = Fixtures.credential(profile: "staff")
        #expect(
            decider.decide(staff, reader: "exit", now: now, monotonic: monotonic, mode: .normal, clockTrusted: true)
                .decision.isGranted)
        #expect(
            decider.decide(staff, reader: "entry", now: now, monotonic: monotonic, mode: .normal, clockTrusted: true)
                .decision.reason == .rateLimited)
        #expect(decider.remainingLockout(of: "entry", at: monotonic + .seconds(60)) == nil)
    }
}
