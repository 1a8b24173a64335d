import Foundation
import LabDoorCore
import LabDoorTestKit
import Testing

/// Invariants checked on many random instants, registrations and holders (seeded: a failure names its seed).
@Suite("Policy invariants")
struct PolicyPropertyTests {
    static let seeds: [UInt64] = [1, 2, 3, 20_261_129, 0xDEAD_BEEF]

    struct Scenario {
        let credential: Credential?
        let now: Date
        let mode: DoorMode
        let trusted: Bool
    }

    static func scenario(_ rng: inout SeededGenerator, policy: AccessPolicy) -> Scenario {
        // Instants from 2024 to 2031, to the second.
        let base = Fixtures.helsinkiInstant("2024-01-01 00:00").timeIntervalSince1970
        let span: TimeInterval = 8 * 365 * 86_400
        func instant() -> Date {
            Date(timeIntervalSince1970: base + TimeInterval.random(in: 0..<span, using: &rng).rounded())
        }
        let now = instant()
        let profile = ["visitor", "member", "staff", "contractor"].randomElement(using: &rng) ?? "visitor"
        let registrations = (0..<Int.random(in: 0...3, using: &rng)).map { _ -> (from: Date, until: Date) in
            // Half of the windows are placed around `now`, so that covering windows are common.
            let from =
                Bool.random(using: &rng)
                ? now.addingTimeInterval(-TimeInterval.random(in: 0...(20 * 86_400), using: &rng).rounded()) : instant()
            return (from, from.addingTimeInterval(TimeInterval.random(in: 1...(40 * 86_400), using: &rng).rounded()))
        }
        let credential =
            Int.random(in: 0..<10, using: &rng) == 0
            ? nil
            : Fixtures.credential(
                profile: profile, registrations: registrations, suspended: Int.random(in: 0..<8, using: &rng) == 0,
                revoked: Int.random(in: 0..<10, using: &rng) == 0)
        let mode: DoorMode =
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: .lockdown
            case 1: .holdOpen(until: now.addingTimeInterval(TimeInterval.random(in: -3600...3600, using: &rng)))
            default: .normal
            }
        return Scenario(credential: credential, now: now, mode: mode, trusted: Int.random(in: 0..<6, using: &rng) != 0)
    }

    @Test(
        "a grant always satisfies the holder's profile, and a suspended or revoked one is never granted",
        arguments: seeds)
    func grantsRespectProfiles(seed: UInt64) {
        let policy = Fixtures.labPolicy()
        var rng = SeededGenerator(seed: seed)
        var granted = 0
        for _ in 0..<3000 {
            let s = Self.scenario(&rng, policy: policy)
            let decision = policy.decide(s.credential, at: s.now, mode: s.mode, clockTrusted: s.trusted)
            #expect(ReasonCode(rawValue: decision.reason.rawValue) == decision.reason)
            #expect(decision.explanation.hasPrefix(decision.isGranted ? "granted: " : "denied: "))
            guard decision.isGranted else { continue }
            granted += 1
            guard let credential = s.credential else {
                Issue.record("seed \(seed): unknown badge granted")
                continue
            }
            let profile = policy.profile(named: credential.holder.profile)
            #expect(!credential.holder.suspended, "seed \(seed): suspended holder granted at \(s.now)")
            #expect(!credential.badge.revoked, "seed \(seed): revoked badge granted at \(s.now)")
            if profile.requiresRegistration {
                #expect(
                    credential.registrations.contains { $0.covers(s.now) },
                    "seed \(seed): granted without registration at \(s.now)")
            }
            if profile.schedule == .openingHours {
                let local = policy.calendar.zone.local(s.now)
                let day = policy.calendar.schedule(on: local.date)
                #expect(
                    day.hours.contains { $0.contains(local.time) }, "seed \(seed): granted outside hours at \(local)")
                #expect(local.date.weekday < .saturday, "seed \(seed): granted at a weekend at \(local)")
                #expect(
                    FinnishHolidays.holiday(on: local.date) == nil, "seed \(seed): granted on a holiday at \(local)")
            }
            if s.mode.effective(at: s.now) == .lockdown { #expect(profile.lockdownOverride) }
            if !s.trusted { #expect(profile.isTimeIndependent) }
        }
        // The generator must actually exercise grants, or the invariants above prove nothing.
        #expect(granted > 100, "seed \(seed): only \(granted) grants")
    }

    @Test("denials during opening hours with a covering registration are never about the schedule", arguments: seeds)
    func scheduleReasonsOnlyWhenClosed(seed: UInt64) {
        let policy = Fixtures.labPolicy()
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<3000 {
            let s = Self.scenario(&rng, policy: policy)
            let decision = policy.decide(s.credential, at: s.now, mode: s.mode, clockTrusted: s.trusted)
            if [.outsideOpeningHours, .closedHoliday, .closedClosure].contains(decision.reason) {
                guard case .closed(let why, let next) = policy.calendar.status(at: s.now) else {
                    Issue.record("seed \(seed): \(decision.reason) while open at \(s.now)")
                    continue
                }
                #expect(why.reasonCode == decision.reason)
                #expect(decision.retryAt == next)
                if let next { #expect(next > s.now) }
            }
        }
    }

    @Test("the decision is a function of its inputs: the same inputs give the same decision", arguments: seeds)
    func deterministic(seed: UInt64) {
        let policy = Fixtures.labPolicy()
        var a = SeededGenerator(seed: seed)
        var b = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let s1 = Self.scenario(&a, policy: policy)
            let s2 = Self.scenario(&b, policy: policy)
            #expect(
                policy.decide(s1.credential, at: s1.now, mode: s1.mode, clockTrusted: s1.trusted)
                    == policy.decide(s2.credential, at: s2.now, mode: s2.mode, clockTrusted: s2.trusted))
        }
    }
}
