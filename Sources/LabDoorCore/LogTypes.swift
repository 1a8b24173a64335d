public import Foundation

/// An event as stored in the log: the record, its place in the chain and its hash.
public struct LoggedEvent: Hashable, Sendable {
    /// Its sequence number: 1, 2, 3, … without gaps (after a purge, continuing from the anchor).
    public let seq: Int64
    /// The stored UTC time text (`YYYY-MM-DDTHH:MM:SS.mmmZ`), exactly as hashed.
    public let time: String
    /// The event.
    public let record: EventRecord
    /// The previous event's hash (or the anchor's, or 64 zeros for the first event).
    public let prevHash: String
    /// SHA-256 (hex) of the canonical encoding.
    public let hash: String

    /// Creates a logged event (the store does, when it has appended `record`).
    public init(seq: Int64, time: String, record: EventRecord, prevHash: String, hash: String) {
        self.seq = seq
        self.time = time
        self.record = record
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// Why a checkpoint was made.
public enum CheckpointKind: String, CaseIterable, Hashable, Sendable {
    /// 100 events or 15 minutes since the last one.
    case periodic
    /// The daemon is stopping.
    case shutdown
    /// The configuration or data changed.
    case config
    /// Made on request (`labdoorctl audit checkpoint --new`, tests).
    case manual
}

/// Which events to list.
public struct EventFilter: Hashable, Sendable {
    /// Events at or after this instant.
    public var since: Date?
    /// Events before this instant.
    public var until: Date?
    /// Events of this holder.
    public var holderID: HolderID?
    /// Badge decisions with this outcome.
    public var outcome: Outcome?
    /// Events with this reason code.
    public var reason: ReasonCode?
    /// Events after this seq (for following).
    public var afterSeq: Int64?
    /// At most this many: the newest of the matching events (still listed oldest first).
    public var limit: Int?
    /// At most this many: the oldest of the matching events (a page, for reading the log in order).
    public var first: Int?

    /// A filter that matches every event.
    public init(
        since: Date? = nil, until: Date? = nil, holderID: HolderID? = nil, outcome: Outcome? = nil,
        reason: ReasonCode? = nil, afterSeq: Int64? = nil, limit: Int? = nil, first: Int? = nil
    ) {
        self.since = since
        self.until = until
        self.holderID = holderID
        self.outcome = outcome
        self.reason = reason
        self.afterSeq = afterSeq
        self.limit = limit
        self.first = first
    }
}

/// Who makes a change, and when: every change is logged with it.
public struct ChangeContext: Hashable, Sendable {
    /// The Unix user name of the caller.
    public var actor: String
    /// The wall-clock time of the change.
    public var now: Date
    /// Whether the wall clock was trusted.
    public var clockTrusted: Bool

    /// Creates a context.
    public init(actor: String, now: Date, clockTrusted: Bool) {
        self.actor = actor
        self.now = now
        self.clockTrusted = clockTrusted
    }
}
