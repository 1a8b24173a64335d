public import Foundation

/// Watches the wall clock against the monotonic clock: a step (NTP correcting a wrong clock, an operator
/// setting it) shows as a change of their difference, and trust changes when synchronisation comes or goes.
///
/// Pure: the caller reads both clocks and the trust flag and passes them in; the first observation only
/// records them.
public struct ClockMonitor: Hashable, Sendable {
    /// A change of the wall-minus-monotonic offset larger than this (in seconds) is a step.
    public static let stepThreshold: Double = 2

    /// What changed since the previous observation.
    public enum Change: Hashable, Sendable {
        /// The wall clock stepped by this many seconds (negative: backwards), rounded.
        case stepped(seconds: Int)
        /// The clock became synchronised (`true`) or stopped being synchronised (`false`).
        case trust(Bool)
    }

    private var lastOffset: Double?
    private var lastTrusted: Bool?

    /// A monitor that has seen nothing yet.
    public init() {}

    /// Records an observation and returns what changed since the previous one.
    public mutating func observe(now: Date, monotonic: MonotonicInstant, trusted: Bool) -> [Change] {
        var changes: [Change] = []
        let offset = now.timeIntervalSince1970 - monotonic.sinceOrigin.timeInterval
        if let lastOffset, abs(offset - lastOffset) > Self.stepThreshold {
            changes.append(.stepped(seconds: Int((offset - lastOffset).rounded())))
        }
        lastOffset = offset
        if let lastTrusted, lastTrusted != trusted { changes.append(.trust(trusted)) }
        lastTrusted = trusted
        return changes
    }
}
