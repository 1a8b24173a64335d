/// Brute-force protection for one reader.
///
/// Rules: more than `maxDenials` denied reads within `window` lock the reader for `baseLockout`; each further
/// lockout doubles the time, up to `maxLockout`. Reads during a lockout are denied (`rate_limited`) and do not
/// count towards the next one; the count starts afresh when a lockout ends. The escalation falls back to
/// `baseLockout` once `quietPeriod` has passed since the last lockout ended without a new one.
/// All instants are monotonic, so a wall-clock step can neither shorten nor extend a lockout.
public struct ReaderLockout: Hashable, Sendable {
    /// Denied reads tolerated within `window`; one more triggers a lockout.
    public var maxDenials = 5
    /// The sliding window in which denied reads are counted.
    public var window: Duration = .seconds(60)
    /// The first lockout's length.
    public var baseLockout: Duration = .seconds(60)
    /// The longest lockout.
    public var maxLockout: Duration = .seconds(15 * 60)
    /// Lockout-free time after which the escalation starts again from `baseLockout`.
    public var quietPeriod: Duration = .seconds(15 * 60)

    private var recentDenials: [MonotonicInstant] = []
    private var lockedUntil: MonotonicInstant?
    private var lastLockout: Duration?

    /// A reader with the default rules.
    public init() {}

    /// The remaining lockout at `now`, or nil when the reader is not locked out.
    public func remainingLockout(at now: MonotonicInstant) -> Duration? {
        guard let lockedUntil, now < lockedUntil else { return nil }
        return lockedUntil - now
    }

    /// Records a denied read at `now` (not one denied because of a lockout). Returns the length of the lockout
    /// it starts, if it starts one.
    public mutating func recordDenial(at now: MonotonicInstant) -> Duration? {
        guard remainingLockout(at: now) == nil else { return nil }
        recentDenials.removeAll { now - $0 >= window }
        recentDenials.append(now)
        guard recentDenials.count > maxDenials else { return nil }

        let length: Duration
        if let previous = lastLockout, let endedAt = lockedUntil, now - endedAt < quietPeriod {
            length = min(previous * 2, maxLockout)
        } else {
            length = baseLockout
        }
        lastLockout = length
        lockedUntil = now + length
        recentDenials.removeAll()
        return length
    }
}
