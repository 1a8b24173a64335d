public import Foundation
public import LabDoorCore
import Synchronization

/// A `SiteClock` that moves only when a test tells it to. Wall and monotonic time advance together;
/// `stepWallClock(by:)` moves only the wall clock, as an NTP step would.
public final class ManualClock: SiteClock {
    private struct State {
        var wall: Date
        var monotonic: MonotonicInstant
        var synchronised: Bool
    }

    private let state: Mutex<State>

    /// A clock at `wall`, monotonic zero, synchronised unless told otherwise.
    public init(wall: Date, synchronised: Bool = true) {
        state = Mutex(State(wall: wall, monotonic: MonotonicInstant(sinceOrigin: .zero), synchronised: synchronised))
    }

    /// The wall-clock instant.
    public func now() -> Date { state.withLock { $0.wall } }
    /// The monotonic reading.
    public func monotonicNow() -> MonotonicInstant { state.withLock { $0.monotonic } }
    /// Whether the clock reports itself synchronised.
    public func isSynchronised() -> Bool { state.withLock { $0.synchronised } }

    /// Moves both clocks forward by `duration`.
    public func advance(by duration: Duration) {
        state.withLock {
            $0.monotonic = $0.monotonic + duration
            $0.wall = $0.wall.addingTimeInterval(duration.timeInterval)
        }
    }

    /// Moves only the wall clock (a clock step); the monotonic clock is unaffected.
    public func stepWallClock(by seconds: TimeInterval) {
        state.withLock { $0.wall = $0.wall.addingTimeInterval(seconds) }
    }

    /// Sets whether the clock reports itself synchronised.
    public func setSynchronised(_ value: Bool) { state.withLock { $0.synchronised = value } }
}
