public import Foundation

/// The clock port: the wall clock, the monotonic clock and whether the wall clock can be trusted.
///
/// Policy code never reads a clock itself; the daemon reads this port once per event and passes the values on.
public protocol SiteClock: Sendable {
    /// The current wall-clock instant (UTC).
    func now() -> Date
    /// The current monotonic reading.
    func monotonicNow() -> MonotonicInstant
    /// Whether the wall clock is synchronised (e.g. systemd-timesyncd reports it).
    func isSynchronised() -> Bool
}
