import Foundation
import LabDoorCore
import LabDoorProtocol

/// Streams committed events to an `events.follow` client, on the client's own thread and the store's reader
/// connections: history in pages of `pageSize`, then new events as they are committed, with a heartbeat after
/// `heartbeatInterval` of quiet so that a client that went away is noticed. It never waits for the decision loop.
struct EventFollower: Sendable {
    /// Events read per query.
    static let pageSize = 500
    /// How often the store is asked for new events.
    static let pollInterval: Duration = .milliseconds(250)
    /// Quiet time after which a heartbeat is sent.
    static let heartbeatInterval: Duration = .seconds(5)

    let store: any AccessStore

    /// Follows the events matching `filter` from `after` (nil: from the first at or after `filter.since`, or
    /// without `since` from the newest event) until `emit` returns false or the store fails. Events carry the
    /// holder's name, as `events.list` gives them.
    func follow(after start: Int64?, filter: EventFilter = EventFilter(), emit: (FollowItem) -> Bool) {
        guard var after = start ?? (filter.since == nil ? newestSeq() : 0) else { return }
        var quietSince = ContinuousClock.now
        while true {
            let page: [LoggedEvent]
            let named: [JSONValue]
            var query = filter
            query.afterSeq = after
            query.first = Self.pageSize
            do {
                page = try store.events(query)
                named = try EventListing.named(page, store)
            } catch {
                return  // the client sees the stream end; the daemon's log has the store error
            }
            for (event, json) in zip(page, named) {
                guard emit(.event(json)) else { return }
                after = event.seq
            }
            if page.count == Self.pageSize { continue }  // more history: no pause
            if page.isEmpty, ContinuousClock.now - quietSince >= Self.heartbeatInterval {
                guard emit(.heartbeat) else { return }
                quietSince = .now
            } else if !page.isEmpty {
                quietSince = .now
            }
            Thread.sleep(forTimeInterval: Self.pollInterval.timeInterval)
        }
    }

    private func newestSeq() -> Int64? {
        do {
            return try store.events(EventFilter(limit: 1)).last?.seq ?? 0
        } catch {
            return nil
        }
    }
}
