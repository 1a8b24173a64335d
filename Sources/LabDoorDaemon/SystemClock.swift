import CLabDoorSystem
import Foundation
import LabDoorConfig
import LabDoorCore

#if canImport(Glibc)
    import Glibc
#endif

/// The real clocks: `Date()` for the wall clock, CLOCK_MONOTONIC for durations, and clock trust from
/// systemd-timesyncd's flag file or the kernel's adjtimex state.
struct SystemClock: SiteClock {
    /// Where trust comes from.
    let trust: ClockTrustSource
    /// The flag file systemd-timesyncd creates once synchronised.
    static let timesyncFlag = "/run/systemd/timesync/synchronized"

    /// The wall clock.
    func now() -> Date { Date() }

    /// CLOCK_MONOTONIC.
    func monotonicNow() -> MonotonicInstant {
        MonotonicInstant(sinceOrigin: .nanoseconds(Self.monotonicNanoseconds()))
    }

    /// CLOCK_MONOTONIC in nanoseconds (what systemd's `MONOTONIC_USEC` counts too).
    static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// With `trust = "system"`: why the kernel refused to tell whether the clock is synchronised (a sandbox that
    /// filters adjtimex), or nil when it answered.
    func kernelRefusal() -> String? {
        guard trust == .system, labdoor_sys_kernel_clock_synchronised() == -1 else { return nil }
        return String(cString: strerror(errno))
    }

    /// Whether the wall clock may be trusted for time-dependent decisions.
    func isSynchronised() -> Bool {
        switch trust {
        case .always: true
        case .never: false
        case .system:
            FileManager.default.fileExists(atPath: Self.timesyncFlag) || labdoor_sys_kernel_clock_synchronised() == 1
        }
    }
}
