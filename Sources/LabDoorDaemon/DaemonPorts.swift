import LabDoorConfig
import LabDoorCore

/// The ports the decision loop works through (DESIGN.md, Modules): real adapters in `labdoord`, the TestKit's
/// fakes in tests.
struct DaemonPorts: Sendable {
    /// The database: registry reads and the event log.
    var store: any AccessStore
    /// The lock relay and the feedback outputs.
    var door: any DoorActuator
    /// The badge readers, one port per reader family.
    var readers: [any ReaderPort]
    /// The wall clock, the monotonic clock and clock trust.
    var clock: any SiteClock
    /// Makes the alarm port for the `[alarms]` settings (again after a reload).
    var alarms: @Sendable (AlarmSettings) -> any AlarmPort
}
