public import LabDoorCore
import Synchronization

/// What the fakes saw, in the order it happened: relay commands and signals (`RecordingDoor`), commits
/// (`InMemoryStore`), reader feedback (`ScriptedReader`) and alarms (`RecordingAlarms`). Tests assert the order,
/// e.g. that a grant's decision is committed before the relay unlocks.
public final class Timeline: Sendable {
    /// One thing that happened.
    public enum Entry: Hashable, Sendable {
        /// The relay was driven.
        case relay(unlocked: Bool, cause: String)
        /// A decision was shown at the door.
        case signal(ReasonCode)
        /// Events were committed, in one transaction (their kinds, in order).
        case committed([EventKind])
        /// A decision was shown on a reader.
        case readerShowed(String, ReasonCode)
        /// An alarm was raised.
        case alarm(EventKind)
    }

    private let entries = Mutex<[Entry]>([])

    /// An empty timeline.
    public init() {}

    /// Appends an entry.
    public func record(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    /// Everything so far.
    public var all: [Entry] { entries.withLock { $0 } }

    /// Forgets everything so far (to look only at what a test step does).
    public func clear() { entries.withLock { $0.removeAll() } }

    /// The relay commands so far (`true`: unlocked).
    public var relays: [Bool] {
        all.compactMap { if case .relay(let unlocked, _) = $0 { unlocked } else { nil } }
    }

    /// The committed event kinds so far, in commit order.
    public var committedKinds: [EventKind] {
        all.flatMap { entry -> [EventKind] in
            if case .committed(let kinds) = entry { return kinds }
            return []
        }
    }

    /// The index of the first entry matching `predicate`, if any.
    public func firstIndex(where predicate: (Entry) -> Bool) -> Int? { all.firstIndex(where: predicate) }
}
