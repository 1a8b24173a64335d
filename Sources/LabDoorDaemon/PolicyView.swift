import LabDoorConfig
import LabDoorCore
import Synchronization

/// The decision loop's policy inputs — the configuration, the calendar overrides and the stored weekday hours —
/// published for the queries that run on client threads (`hours.show`, `hours.calendar`, `hours.closure.list`,
/// parsing an import in the site zone), so that they never wait for the loop and never see a half-made change.
/// The loop publishes a new snapshot whenever one of them changes.
final class PolicyView: Sendable {
    /// One consistent view.
    struct Snapshot: Sendable {
        var config: LabDoorConfiguration
        var overrides: [CalendarOverride]
        var weekdays: [StoredWeekdayHours]

        /// The policy in force.
        var policy: AccessPolicy { config.policy(overrides: overrides, weekdays: weekdays) }
    }

    private let state: Mutex<Snapshot>

    init(_ snapshot: Snapshot) { state = Mutex(snapshot) }

    /// The latest snapshot.
    var current: Snapshot { state.withLock { $0 } }

    /// Replaces the snapshot (the decision loop only).
    func publish(_ snapshot: Snapshot) { state.withLock { $0 = snapshot } }
}
