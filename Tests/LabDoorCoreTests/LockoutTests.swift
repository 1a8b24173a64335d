import LabDoorCore
import Testing

@Suite("Reader brute-force lockout")
struct LockoutTests {
    func at(_ seconds: Int64) -> MonotonicInstant { MonotonicInstant(sinceOrigin: .seconds(seconds)) }

    @Test("five denials in a minute are tolerated; the sixth locks the reader for 60 s")
    func sixthDenialLocks() {
        var lockout = ReaderLockout()
        for second in 0..<5 { #expect(lockout.recordDenial(at: at(Int64(second) * 10)) == nil) }
        #expect(lockout.remainingLockout(at: at(45)) == nil)
        #expect(lockout.recordDenial(at: at(50)) == .seconds(60))
        #expect(lockout.remainingLockout(at: at(50)) == .seconds(60))
        #expect(lockout.remainingLockout(at: at(109)) == .seconds(1))
        #expect(lockout.remainingLockout(at: at(110)) == nil)
    }

    @Test("denials spread wider than the window never lock")
    func slowDenials() {
        var lockout = ReaderLockout()
        for n in 0..<100 { #expect(lockout.recordDenial(at: at(Int64(n) * 13)) == nil) }
    }

    @Test("repeated lockouts escalate 60 s → 120 → 240 → 480 → 900 and stay at 15 min")
    func escalation() {
        var lockout = ReaderLockout()
        var now: Int64 = 0
        var lengths: [Duration] = []
        for _ in 0..<7 {
            var started: Duration?
            for _ in 0..<6 {
                started = lockout.recordDenial(at: at(now))
                now += 1
            }
            guard let started else {
                Issue.record("six denials did not lock")
                return
            }
            lengths.append(started)
            // Reads during the lockout do not count and do not extend it.
            #expect(lockout.recordDenial(at: at(now)) == nil)
            now += Int64(started.components.seconds)
        }
        #expect(lengths == [60, 120, 240, 480, 900, 900, 900].map { .seconds($0) })
    }

    @Test("after 15 quiet minutes the escalation starts again at 60 s")
    func quietResets() {
        var lockout = ReaderLockout()
        var now: Int64 = 0
        for _ in 0..<6 {
            _ = lockout.recordDenial(at: at(now))
            now += 1
        }
        now += 60
        for _ in 0..<6 {
            _ = lockout.recordDenial(at: at(now))
            now += 1
        }
        #expect(lockout.remainingLockout(at: at(now)) != nil)
        now += 120 + 15 * 60
        var started: Duration?
        for _ in 0..<6 {
            started = lockout.recordDenial(at: at(now)) ?? started
            now += 1
        }
        #expect(started == .seconds(60))
    }
}
