import Foundation
import LabDoorCore
import LabDoorStore
import Logging

/// Writes events to the store; when the store fails (disk full, I/O error) it keeps them in a bounded
/// in-memory queue, reports `log_degraded` once, and writes them — oldest first — as soon as the store accepts
/// writes again. Owned by the decision loop (not thread-safe).
struct EventSink: Sendable {
    /// The most events kept in memory; beyond that the oldest are dropped (and counted).
    static let capacity = 10_000

    let store: LabDoorStore
    private(set) var pending: [EventRecord] = []
    private(set) var dropped = 0
    /// Whether the log is currently degraded (writes failing).
    private(set) var degraded = false
    /// The last committed event, for `events --follow` and status.
    private(set) var lastSeq: Int64 = 0

    /// A sink over `store`.
    init(store: LabDoorStore) {
        self.store = store
    }

    /// Events waiting in memory.
    var pendingCount: Int { pending.count }

    /// Appends events (after anything already pending). Returns a `log_degraded` alarm event to report when
    /// the store has just started failing.
    mutating func write(_ records: [EventRecord], logger: Logger) -> EventRecord? {
        pending.append(contentsOf: records)
        if pending.count > Self.capacity {
            let excess = pending.count - Self.capacity
            pending.removeFirst(excess)
            dropped += excess
        }
        return flush(logger: logger)
    }

    /// Retries pending events (called on every tick). Returns a `log_degraded` alarm event when writing has
    /// just started to fail.
    @discardableResult
    mutating func flush(logger: Logger) -> EventRecord? {
        guard !pending.isEmpty else { return nil }
        do {
            var batch = pending
            if degraded {
                // Writing works again: record what happened, in the log itself.
                batch.append(
                    EventRecord(
                        time: Date(), kind: .logDegraded,
                        details: JSONValue.object([
                            ("state", .string("recovered")), ("buffered", .int(Int64(pending.count))),
                            ("dropped", .int(Int64(dropped))),
                        ]).description, clockTrusted: pending.last?.clockTrusted ?? true))
            }
            let logged = try store.append(batch)
            lastSeq = logged.last?.seq ?? lastSeq
            if degraded {
                logger.notice(
                    "event log writable again",
                    metadata: ["log.buffered": "\(pending.count)", "log.dropped": "\(dropped)"])
            }
            pending.removeAll()
            degraded = false
            dropped = 0
            return nil
        } catch {
            guard !degraded else { return nil }
            degraded = true
            logger.critical("cannot write the event log; buffering events in memory", metadata: ["error": "\(error)"])
            return EventRecord(
                time: Date(), kind: .logDegraded,
                details: JSONValue.object([("state", .string("failing")), ("error", .string(error.description))])
                    .description,
                clockTrusted: pending.last?.clockTrusted ?? true)
        }
    }
}
