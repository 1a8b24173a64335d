public import LabDoorCore
import Synchronization

/// A door that records what it is told on a `Timeline`; its relay can be made to fail.
public final class RecordingDoor: DoorActuator {
    /// Where the commands go.
    public let timeline: Timeline
    private let failing = Mutex(false)
    private let unlocked = Mutex(false)

    /// A door recording on `timeline`.
    public init(timeline: Timeline) { self.timeline = timeline }

    /// Whether the relay was last driven unlocked.
    public var isUnlocked: Bool { unlocked.withLock { $0 } }

    /// Makes `setRelay` throw (a broken relay line) or work again.
    public func setFailing(_ value: Bool) { failing.withLock { $0 = value } }

    /// Records the command; throws when failing.
    public func setRelay(unlocked value: Bool, cause: String, holder: HolderID?) throws {
        if failing.withLock({ $0 }) { throw FakeError(message: "relay line error (test)") }
        unlocked.withLock { $0 = value }
        timeline.record(.relay(unlocked: value, cause: cause))
    }

    /// Records the signal.
    public func signal(_ decision: Decision) { timeline.record(.signal(decision.reason)) }

    /// Nothing to release.
    public func close() {}
}

/// A reader port whose reads a test presents; records the decisions shown on it.
public final class ScriptedReader: ReaderPort {
    /// The readers it serves.
    public let readerNames: [String]
    private let timeline: Timeline
    private let deliver = Mutex<(@Sendable (String, ReaderInput) -> Void)?>(nil)

    /// Readers named `names`, recording on `timeline`.
    public init(_ names: String..., timeline: Timeline) {
        readerNames = names
        self.timeline = timeline
    }

    /// Keeps `deliver` for `present`.
    public func start(deliver: @escaping @Sendable (String, ReaderInput) -> Void) throws {
        self.deliver.withLock { $0 = deliver }
    }

    /// Forgets `deliver`.
    public func stop() { deliver.withLock { $0 = nil } }

    /// Records the decision.
    public func show(_ decision: Decision, on reader: String) {
        timeline.record(.readerShowed(reader, decision.reason))
    }

    /// Delivers `input` from `reader`, as the hardware would (after `start`).
    public func present(_ input: ReaderInput, on reader: String) {
        let deliver = self.deliver.withLock { $0 }
        deliver?(reader, input)
    }
}

/// An alarm port that records the alarms raised.
public final class RecordingAlarms: AlarmPort {
    private let timeline: Timeline
    private let raised = Mutex<[EventRecord]>([])

    /// Alarms recording on `timeline`.
    public init(timeline: Timeline) { self.timeline = timeline }

    /// The alarms so far.
    public var events: [EventRecord] { raised.withLock { $0 } }

    /// Records the alarm.
    public func raise(_ event: EventRecord, site: String) {
        raised.withLock { $0.append(event) }
        timeline.record(.alarm(event.kind))
    }
}

/// An error a fake throws.
public struct FakeError: Error, CustomStringConvertible {
    /// What failed.
    public let message: String
    /// The message.
    public var description: String { message }
}
