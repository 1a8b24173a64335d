/// A reading of the monotonic clock (CLOCK_MONOTONIC): unaffected by wall-clock steps, meaningful only as a
/// difference from another reading of the same boot. Lockouts and unlock times are measured with it.
public struct MonotonicInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Time since the clock's origin (boot, or a test's zero).
    public let sinceOrigin: Duration

    /// Creates a reading.
    public init(sinceOrigin: Duration) { self.sinceOrigin = sinceOrigin }

    /// The reading `duration` later.
    public static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        MonotonicInstant(sinceOrigin: lhs.sinceOrigin + rhs)
    }

    /// The time from `rhs` to `lhs`.
    public static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Duration {
        lhs.sinceOrigin - rhs.sinceOrigin
    }

    /// Orders readings.
    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.sinceOrigin < rhs.sinceOrigin
    }

    /// The reading in seconds.
    public var description: String { "\(sinceOrigin)" }
}

extension Duration {
    /// The duration in (fractional) seconds, for APIs that take a `TimeInterval`.
    public var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
