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
        var weekdays: [Weekday: StoredWeekdayHours] = [:]
        var nextBadge: Int64 = 1
        var events: [LoggedEvent] = []
        var checkpoints: [(kind: CheckpointKind, seq: Int64)] = []
        var failure: StoreError?

        var lastSeq: Int64 { events.last?.seq ?? 0 }

        /// Everything up to the last event older than `before`, by seq: how many, and that seq.
        func purgeExtent(before: Date) -> (removed: Int, anchorSeq: Int64?) {
            guard let anchor = events.last(where: { $0.record.time < before })?.seq else { return (0, nil) }
            return (events.count { $0.seq <= anchor }, anchor)
        }

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
                fingerprint: fingerprint, lastFour: badge.lastFour, holderID: holder, revoked: revoked, id: $0.nextBadge
            )
            $0.nextBadge += 1
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

    /// A page of holders, in id order.
    public func holders(_ query: HolderQuery) throws(StoreError) -> [Holder] {
        let search = query.search?.lowercased()
        return Array(
            state.withLock { $0.holders.values }.sorted { $0.id < $1.id }.filter { h in
                h.id > (query.after ?? HolderID(rawValue: 0)) && (query.includeRemoved || h.removedAt == nil)
                    && (query.profile.map { h.profile == $0 } ?? true)
                    && (query.suspended.map { h.suspended == $0 } ?? true)
                    && (search.map { text in
                        [h.name, h.email ?? "", h.organisation ?? ""].contains { $0.lowercased().contains(text) }
                    } ?? true)
            }.prefix(max(1, query.limit)))
    }

    /// Every holder that is not removed.
    public func holders() throws(StoreError) -> [Holder] { try holders(HolderQuery(limit: Int.max)) }

    /// One holder.
    public func holder(_ id: HolderID) throws(StoreError) -> Holder? { state.withLock { $0.holders[id] } }

    /// A page of badges, in id order.
    public func badges(_ query: BadgeQuery) throws(StoreError) -> [Badge] {
        Array(
            state.withLock { $0.badges.values }.sorted { ($0.id ?? 0) < ($1.id ?? 0) }.filter { b in
                (b.id ?? 0) > (query.after ?? 0) && (query.holder.map { b.holderID == $0 } ?? true)
            }.prefix(max(1, query.limit)))
    }

    /// A page of registrations, in id order.
    public func registrations(_ query: RegistrationQuery) throws(StoreError) -> [Registration] {
        Array(
            state.withLock { $0.registrations }.filter { r in
                r.id > (query.after ?? 0) && (query.holder.map { r.holderID == $0 } ?? true)
                    && (query.activeAt.map { r.covers($0) } ?? true)
            }.prefix(max(1, query.limit)))
    }

    /// The holder's last granted entry.
    public func lastEntry(of holder: HolderID) throws(StoreError) -> Date? {
        state.withLock { $0.events }.last { $0.record.holderID == holder && $0.record.outcome == .granted }?.record.time
    }

    /// The names of the holders that exist.
    public func holderNames(_ ids: Set<HolderID>) throws(StoreError) -> [HolderID: String] {
        state.withLock { state in
            Dictionary(uniqueKeysWithValues: ids.compactMap { id in state.holders[id].map { (id, $0.name) } })
        }
    }

    /// A plan that counts rows only (the real planner is tested against the real store).
    public func planImport(_ rows: [ImportRow]) throws(StoreError) -> ImportPlan {
        ImportPlan(
            rows: rows,
            report: ImportReport(
                rows: rows.count, newHolders: [], added: rows.count, duplicateLines: [], overlaps: [], dryRun: true),
            newHolderRows: [], additions: [], overlapTargets: [:], generation: 0)
    }

    /// The stored weekdays.
    public func weekdayHours() throws(StoreError) -> [StoredWeekdayHours] {
        state.withLock { $0.weekdays.values.sorted { $0.weekday < $1.weekday } }
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

    /// The seq after which the newest `count` matching events start (0 when fewer match).
    public func startOfNewest(_ filter: EventFilter, count: Int) throws(StoreError) -> Int64 {
        var filter = filter
        filter.limit = count + 1
        filter.first = nil
        let newest = try events(filter)
        return newest.count > count ? newest[0].seq : 0
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
            let (result, action) = try Self.perform(change, context, on: &next)
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
        _ change: RegistryChange, _ context: ChangeContext, on state: inout State
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
        case .editHolder(let id, let edit):
            guard var holder = state.holders[id] else { throw .notFound("holder \(id)") }
            if let name = edit.name { holder.name = name }
            if let profile = edit.profile { holder.profile = profile }
            if let organisation = edit.organisation { holder.organisation = organisation.isEmpty ? nil : organisation }
            if let email = edit.email { holder.email = email.isEmpty ? nil : email }
            state.holders[id] = holder
            return (.holder(holder), "holder_edit")
        case .removeHolder(let id):
            guard state.holders[id]?.removedAt == nil, state.holders[id] != nil else {
                throw .notFound("holder \(id)")
            }
            state.holders[id]?.removedAt = context.now
            var revoked = 0
            for (fingerprint, badge) in state.badges where badge.holderID == id && !badge.revoked {
                state.badges[fingerprint]?.revoked = true
                revoked += 1
            }
            return (
                .removal(HolderRemoval(holder: id, erased: false, badges: revoked, registrations: 0)), "holder_remove"
            )
        case .eraseHolder(let id):
            guard state.holders.removeValue(forKey: id) != nil else { throw .notFound("holder \(id)") }
            let badges = state.badges.count { $0.value.holderID == id }
            let registrations = state.registrations.count { $0.holderID == id }
            state.badges = state.badges.filter { $0.value.holderID != id }
            state.registrations.removeAll { $0.holderID == id }
            return (
                .removal(HolderRemoval(holder: id, erased: true, badges: badges, registrations: registrations)),
                "holder_erase"
            )
        case .assignBadge(let number, let holder):
            let fingerprint = Self.fingerprint(number)
            if let existing = state.badges[fingerprint] {
                throw .conflict("badge …\(number.lastFour) is already assigned to holder \(existing.holderID)")
            }
            guard state.holders[holder] != nil else { throw .notFound("holder \(holder)") }
            let badge = Badge(
                fingerprint: fingerprint, lastFour: number.lastFour, holderID: holder,
                id: state.badges[fingerprint]?.id ?? state.nextBadge, assignedAt: context.now)
            if state.badges[fingerprint] == nil { state.nextBadge += 1 }
            state.badges[fingerprint] = badge
            return (.badge(badge), "badge_assign")
        case .revokeBadge(let number):
            let fingerprint = Self.fingerprint(number)
            guard state.badges[fingerprint] != nil else { throw .notFound("badge …\(number.lastFour)") }
            state.badges[fingerprint]?.revoked = true
            return (state.badges[fingerprint].map(ChangeResult.badge) ?? .done, "badge_revoke")
        case .revokeBadgeID(let id):
            guard let (fingerprint, _) = state.badges.first(where: { $0.value.id == id }) else {
                throw .notFound("badge \(id)")
            }
            state.badges[fingerprint]?.revoked = true
            return (state.badges[fingerprint].map(ChangeResult.badge) ?? .done, "badge_revoke")
        case .importRegistrations(let plan):
            var report = plan.report
            report.dryRun = false
            return (.imported(report), "registration_import")
        case .setWeekdayHours(let weekday, let intervals):
            state.weekdays[weekday] = StoredWeekdayHours(
                weekday: weekday, intervals: intervals, setBy: context.actor, setAt: context.now)
            return (.done, "hours_set")
        case .resetWeekdayHours(let weekday):
            if let weekday { state.weekdays[weekday] = nil } else { state.weekdays = [:] }
            return (.done, "hours_reset")
        case .addRegistration(let holder, let from, let until):
            guard from < until else { throw .invalid("a registration must start before it ends") }
            guard state.holders[holder] != nil else { throw .notFound("holder \(holder)") }
            let registration = Registration(id: state.nextRegistration, holderID: holder, from: from, until: until)
            state.nextRegistration += 1
            state.registrations.append(registration)
            return (.registration(registration), "registration_add")
        case .removeRegistration(let id):
            guard let registration = state.registrations.first(where: { $0.id == id }) else {
                throw .notFound("registration \(id)")
            }
            state.registrations.removeAll { $0.id == id }
            return (.removedRegistration(registration), "registration_remove")
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
            guard let override = state.overrides.first(where: { $0.id == id }) else { throw .notFound("closure \(id)") }
            state.overrides.removeAll { $0.id == id }
            return (.override(override), "closure_remove")
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
            let (removed, anchor) = state.purgeExtent(before: before)
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

    /// What `purge(before:)` would remove now.
    public func purgePreview(before: Date) throws(StoreError) -> (removed: Int, anchorSeq: Int64?) {
        try state.withLock { state throws(StoreError) in
            if let failure = state.failure { throw failure }
            return state.purgeExtent(before: before)
        }
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
