public import Foundation
public import LabDoorCore
import Synchronization

/// The store port in memory, for daemon tests: registry reads, a log with seqs (its hashes are placeholders —
/// the chain itself is tested against the real store), changes with the same refusals as `LabDoorStore`, and a
/// switch that makes every write fail as a full disk does. Each commit is recorded on the `Timeline`.
///
/// Changes are transactional like the real store's: a change that throws leaves everything as it was.
public final class InMemoryStore: AccessStore {
    private struct State {
        var holders: [HolderID: Holder] = [:]
        var nextHolder: Int64 = 1
        var badges: [BadgeFingerprint: Badge] = [:]
        var registrations: [Registration] = []
        var nextRegistration: Int64 = 1
        var overrides: [CalendarOverride] = []
        var nextOverride: Int64 = 1
        var mode: DoorMode = .normal
        var events: [LoggedEvent] = []
        var checkpoints: [(kind: CheckpointKind, seq: Int64)] = []
        var failure: StoreError?

        var lastSeq: Int64 { events.last?.seq ?? 0 }

        mutating func insert(_ records: [EventRecord]) -> [LoggedEvent] {
            records.map { record in
                let seq = lastSeq + 1
                let logged = LoggedEvent(
                    seq: seq, time: UTCTimestamp.format(record.time), record: record,
                    prevHash: events.last?.hash ?? String(repeating: "0", count: 64), hash: "fake-hash-\(seq)")
                events.append(logged)
                return logged
            }
        }
    }

    private let state = Mutex(State())
    private let timeline: Timeline

    /// An empty store recording commits on `timeline`.
    public init(timeline: Timeline) { self.timeline = timeline }

    // MARK: Test controls

    /// Makes every write throw `failure` (nil: writes work again), as a full disk or an I/O error would.
    public func setFailure(_ failure: StoreError?) { state.withLock { $0.failure = failure } }

    /// Every event committed so far.
    public var logged: [LoggedEvent] { state.withLock { $0.events } }

    /// The checkpoints signed so far (kind and covered seq).
    public var checkpointKinds: [CheckpointKind] { state.withLock { $0.checkpoints.map(\.kind) } }

    /// Adds a holder without logging anything (test setup).
    @discardableResult
    public func seedHolder(
        name: String = "Aino Virtanen", profile: String, suspended: Bool = false
    ) -> HolderID {
        state.withLock { state in
            let id = HolderID(rawValue: state.nextHolder)
            state.nextHolder += 1
            state.holders[id] = Holder(id: id, name: name, profile: profile, suspended: suspended)
            return id
        }
    }

    /// Assigns a badge without logging anything (test setup).
    public func seedBadge(_ number: String, holder: HolderID, revoked: Bool = false) throws {
        let badge = try BadgeID(parsing: number)
        let fingerprint = Self.fingerprint(badge)
        state.withLock {
            $0.badges[fingerprint] = Badge(
                fingerprint: fingerprint, lastFour: badge.lastFour, holderID: holder, revoked: revoked)
        }
    }

    /// Adds a registration without logging anything (test setup).
    public func seedRegistration(holder: HolderID, from: Date, until: Date) {
        state.withLock {
            $0.registrations.append(Registration(id: $0.nextRegistration, holderID: holder, from: from, until: until))
            $0.nextRegistration += 1
        }
    }

    /// Adds a calendar override without logging anything (test setup).
    public func seedOverride(_ override: CalendarOverride) {
        state.withLock {
            var stored = override
            stored.id = $0.nextOverride
            $0.nextOverride += 1
            $0.overrides.append(stored)
        }
    }

    // MARK: Reads

    /// A keyed-looking fingerprint (FNV-1a; the real store uses HMAC-SHA256 with the site secret).
    static func fingerprint(_ badge: BadgeID) -> BadgeFingerprint {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in badge.normalised.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return BadgeFingerprint(rawValue: "fake-" + String(hash, radix: 16))
    }

    /// The fingerprint of `badge`.
    public func fingerprint(of badge: BadgeID) throws(StoreError) -> BadgeFingerprint { Self.fingerprint(badge) }

    /// The badge's credential, if it is assigned.
    public func credential(for fingerprint: BadgeFingerprint) throws(StoreError) -> Credential? {
        state.withLock { state in
            guard let badge = state.badges[fingerprint], let holder = state.holders[badge.holderID] else { return nil }
            return Credential(
                badge: badge, holder: holder, registrations: state.registrations.filter { $0.holderID == holder.id })
        }
    }

    /// The overrides, in the order added.
    public func overrides() throws(StoreError) -> [CalendarOverride] { state.withLock { $0.overrides } }

    /// The stored door mode.
    public func doorMode() throws(StoreError) -> DoorMode { state.withLock { $0.mode } }

    /// All holders, by id.
    public func holders() throws(StoreError) -> [Holder] {
        state.withLock { $0.holders.values.sorted { $0.id < $1.id } }
    }

    /// Events matching `filter`, oldest first.
    public func events(_ filter: EventFilter) throws(StoreError) -> [LoggedEvent] {
        var matching = state.withLock { $0.events }.filter { event in
            let r = event.record
            return (filter.since.map { r.time >= $0 } ?? true) && (filter.until.map { r.time < $0 } ?? true)
                && (filter.holderID.map { r.holderID == $0 } ?? true)
                && (filter.outcome.map { r.outcome == $0 } ?? true) && (filter.reason.map { r.reason == $0 } ?? true)
                && (filter.afterSeq.map { event.seq > $0 } ?? true)
        }
        if let limit = filter.limit { matching = Array(matching.suffix(limit)) }
        if let first = filter.first { matching = Array(matching.prefix(first)) }
        return matching
    }

    // MARK: Writes

    /// Appends events (throws the failure while failing).
    public func append(_ records: [EventRecord]) throws(StoreError) -> [LoggedEvent] {
        let logged = try state.withLock { state throws(StoreError) -> [LoggedEvent] in
            if let failure = state.failure { throw failure }
            return state.insert(records)
        }
        timeline.record(.committed(logged.map(\.record.kind)))
        return logged
    }

    /// Commits `pending`, then the change and its `admin_change`, atomically.
    public func apply(
        _ change: RegistryChange, _ context: ChangeContext, after pending: [EventRecord]
    ) throws(StoreError) -> AppliedChange {
        let applied = try state.withLock { state throws(StoreError) -> AppliedChange in
            if let failure = state.failure { throw failure }
            var next = state
            let (result, action) = try Self.perform(change, on: &next)
            var logged = next.insert(pending)
            logged += next.insert([
                EventRecord(
                    time: context.now, kind: .adminChange, actor: context.actor,
                    details: JSONValue.object([("action", .string(action))]).description,
                    clockTrusted: context.clockTrusted)
            ])
            next.checkpoints.append((.config, next.lastSeq))
            state = next
            return AppliedChange(result: result, logged: logged)
        }
        timeline.record(.committed(applied.logged.map(\.record.kind)))
        return applied
    }

    private static func perform(
        _ change: RegistryChange, on state: inout State
    ) throws(StoreError) -> (ChangeResult, String) {
        switch change {
        case .addHolder(let name, let profile, let organisation, let email):
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw .invalid("a holder needs a name") }
            let id = HolderID(rawValue: state.nextHolder)
            state.nextHolder += 1
            let holder = Holder(id: id, name: trimmed, profile: profile, organisation: organisation, email: email)
            state.holders[id] = holder
            return (.holder(holder), "holder_add")
        case .setSuspended(let id, let suspended):
            guard state.holders[id] != nil else { throw .notFound("holder \(id)") }
            state.holders[id]?.suspended = suspended
            return (.done, suspended ? "holder_suspend" : "holder_resume")
        case .removeHolder(let id):
            guard state.holders.removeValue(forKey: id) != nil else { throw .notFound("holder \(id)") }
            state.badges = state.badges.filter { $0.value.holderID != id }
            state.registrations.removeAll { $0.holderID == id }
            return (.done, "holder_remove")
        case .assignBadge(let number, let holder):
            let fingerprint = Self.fingerprint(number)
            if let owner = state.badges[fingerprint]?.holderID {
                throw .conflict("badge …\(number.lastFour) is already assigned to holder \(owner); revoke it first")
            }
            guard state.holders[holder] != nil else { throw .notFound("holder \(holder)") }
            let badge = Badge(fingerprint: fingerprint, lastFour: number.lastFour, holderID: holder)
            state.badges[fingerprint] = badge
            return (.badge(badge), "badge_assign")
        case .revokeBadge(let number):
            let fingerprint = Self.fingerprint(number)
            guard state.badges[fingerprint] != nil else { throw .notFound("badge …\(number.lastFour)") }
            state.badges[fingerprint]?.revoked = true
            return (.done, "badge_revoke")
        case .addRegistration(let holder, let from, let until):
            guard from < until else { throw .invalid("a registration must start before it ends") }
            guard state.holders[holder] != nil else { throw .notFound("holder \(holder)") }
            let registration = Registration(id: state.nextRegistration, holderID: holder, from: from, until: until)
            state.nextRegistration += 1
            state.registrations.append(registration)
            return (.registration(registration), "registration_add")
        case .removeRegistration(let id):
            guard state.registrations.contains(where: { $0.id == id }) else { throw .notFound("registration \(id)") }
            state.registrations.removeAll { $0.id == id }
            return (.done, "registration_remove")
        case .addOverride(let override):
            guard override.firstDay <= override.lastDay else {
                throw .invalid("the first day must not be after the last day")
            }
            var stored = override
            stored.id = state.nextOverride
            state.nextOverride += 1
            state.overrides.append(stored)
            return (.override(stored), "closure_add")
        case .removeOverride(let id):
            guard state.overrides.contains(where: { $0.id == id }) else { throw .notFound("closure \(id)") }
            state.overrides.removeAll { $0.id == id }
            return (.done, "closure_remove")
        case .setDoorMode(let mode):
            state.mode = mode
            return (.done, "door_mode")
        }
    }

    /// Commits `pending`, then drops the events before `before` and logs `log_purged`.
    public func purge(
        before: Date, _ context: ChangeContext, after pending: [EventRecord]
    ) throws(StoreError) -> AppliedPurge {
        let applied = try state.withLock { state throws(StoreError) -> AppliedPurge in
            if let failure = state.failure { throw failure }
            var logged = state.insert(pending)
            let anchor = state.events.last { $0.record.time < before }?.seq
            let removed = anchor.map { seq in state.events.count { $0.seq <= seq } } ?? 0
            if let anchor { state.events.removeAll { $0.seq <= anchor } }
            logged += state.insert([
                EventRecord(
                    time: context.now, kind: .logPurged, actor: context.actor,
                    details: JSONValue.object([("removed", .int(Int64(removed)))]).description,
                    clockTrusted: context.clockTrusted)
            ])
            return AppliedPurge(removed: removed, anchorSeq: anchor, logged: logged)
        }
        timeline.record(.committed(applied.logged.map(\.record.kind)))
        return applied
    }

    /// Records a checkpoint over the last event.
    public func signCheckpoint(kind: CheckpointKind, now: Date, monotonic: MonotonicInstant?) throws(StoreError) {
        try state.withLock { state throws(StoreError) in
            if let failure = state.failure { throw failure }
            state.checkpoints.append((kind, state.lastSeq))
        }
    }

    /// Periodic checkpoints are the real store's business; nothing to do here.
    public func signCheckpointIfDue(now: Date, monotonic: MonotonicInstant) throws(StoreError) {}

    /// Nothing to flush.
    public func flushWAL() throws(StoreError) {}
}
