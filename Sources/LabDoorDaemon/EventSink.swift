import Foundation
import LabDoorCore
import Logging

/// The one writer of the event log: every event and every data change reaches the store through here, in the
/// order they happened. When the store fails (disk full, I/O error) it keeps events in a bounded in-memory
/// queue, reports `log_degraded` once, and writes them — oldest first — as soon as the store accepts writes
/// again; a change made meanwhile commits after them, in the same transaction.
///
/// Owned by the decision loop (a value type it mutates; not shared).
struct EventSink: Sendable {
    /// The most events kept in memory; beyond that the oldest are dropped (and counted).
    static let capacity = 10_000

    let store: any AccessStore
    private(set) var pending: [EventRecord] = []
    private(set) var dropped = 0
    /// Whether the log is currently degraded (writes failing).
    private(set) var degraded = false
    /// The last committed event's seq, for status.
    private(set) var lastSeq: Int64 = 0

    /// A sink over `store`, whose log currently ends at `lastSeq`.
    init(store: any AccessStore, lastSeq: Int64) {
        self.store = store
        self.lastSeq = lastSeq
    }

    /// Events waiting in memory.
    var pendingCount: Int { pending.count }

    /// Appends events (after anything already pending). Returns a `log_degraded` alarm event when the store has
    /// just started failing.
    mutating func write(_ records: [EventRecord], now: Date, logger: Logger) -> EventRecord? {
        queue(records)
        return flush(now: now, logger: logger)
    }

    /// Retries pending events (called on every tick). Returns a `log_degraded` alarm event when writing has just
    /// started to fail (the event is also queued, so the log shows when the trouble began).
    @discardableResult
    mutating func flush(now: Date, logger: Logger) -> EventRecord? {
        guard !pending.isEmpty else { return nil }
        do {
            let logged = try store.append(waiting(now: now))
            committed(logged, logger: logger)
            return nil
        } catch {
            return failed(error, now: now, logger: logger)
        }
    }

    /// Commits the pending events, then `events` (what led to the change), then `change` with its
    /// `admin_change`, in one transaction. Throws the store's refusal (or failure) having changed nothing; the
    /// pending events stay pending then (`events` are the caller's to log another way).
    mutating func apply(
        _ change: RegistryChange, _ context: ChangeContext, with events: [EventRecord] = [], logger: Logger
    ) throws(StoreError) -> ChangeResult {
        let applied = try store.apply(change, context, after: waiting(now: context.now) + events)
        committed(applied.logged, logger: logger)
        return applied.result
    }

    /// Commits the pending events, then purges events older than `before` with its `log_purged`, in one
    /// transaction.
    mutating func purge(before: Date, _ context: ChangeContext, logger: Logger) throws(StoreError) -> AppliedPurge {
        let applied = try store.purge(before: before, context, after: waiting(now: context.now))
        committed(applied.logged, logger: logger)
        return applied
    }

    private mutating func queue(_ records: [EventRecord]) {
        pending.append(contentsOf: records)
        if pending.count > Self.capacity {
            let excess = pending.count - Self.capacity
            pending.removeFirst(excess)
            dropped += excess
        }
    }

    /// The pending events, and — when the log was degraded — the record that it is writable again.
    private func waiting(now: Date) -> [EventRecord] {
        guard degraded, !pending.isEmpty else { return pending }
        return pending + [
            EventRecord(
                time: now, kind: .logDegraded,
                details: JSONValue.object([
                    ("state", .string("recovered")), ("buffered", .int(Int64(pending.count))),
                    ("dropped", .int(Int64(dropped))),
                ]).description, clockTrusted: pending.last?.clockTrusted ?? true)
        ]
    }

    private mutating func committed(_ logged: [LoggedEvent], logger: Logger) {
        lastSeq = logged.last?.seq ?? lastSeq
        if degraded {
            logger.notice(
                "event log writable again", metadata: ["log.buffered": "\(pending.count)", "log.dropped": "\(dropped)"])
        }
        pending.removeAll()
        degraded = false
        dropped = 0
    }

    private mutating func failed(_ error: StoreError, now: Date, logger: Logger) -> EventRecord? {
        guard !degraded else { return nil }
        degraded = true
        logger.critical(
            "cannot write the event log; buffering events in memory", metadata: ["error": "\(error.description)"])
        let event = EventRecord(
            time: now, kind: .logDegraded,
            details: JSONValue.object([("state", .string("failing")), ("error", .string(error.description))])
                .description,
            clockTrusted: pending.last?.clockTrusted ?? true)
        queue([event])  // the log itself records when writing started to fail
        return event
    }
}
