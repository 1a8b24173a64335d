public import Foundation

/// The door's outputs: the lock relay and optional feedback (LEDs, buzzer). Implemented by the simulated door
/// and by the libgpiod door. Calls come from the decision loop only, one at a time; they must not block long.
public protocol DoorActuator: Sendable {
    /// Drives the relay: `unlocked` energises (or de-energises, per wiring) the lock so the door opens.
    /// `cause` and `holder` are for display and logs. Throws when the line cannot be driven; the caller then
    /// alarms and treats the door as locked.
    func setRelay(unlocked: Bool, cause: String, holder: HolderID?) throws
    /// Shows a decision to the person at the door (green/red LED, buzzer, a display); best effort.
    func signal(_ decision: Decision)
    /// Releases the hardware, leaving the relay locked.
    func close()
}

/// What a badge reader delivers to the decision loop.
public enum ReaderInput: Hashable, Sendable {
    /// A complete read (the text the reader "typed", before normalisation).
    case read(String)
    /// Input that is not a read (garbage, typing at human speed, too long), with the reason (no raw input).
    case rejected(String)
    /// The reader was attached (or opened).
    case attached(String)
    /// The reader was detached (or closed); details say why.
    case detached(String)
    /// A device matched the reader's id but not its port or serial, or is a kind the daemon cannot use.
    case deviceRejected(String)
    /// Something worth a log line that is neither a read nor a state change (a stale reply the reader sent, a
    /// feedback command it refused); no event.
    case notice(String)
}

/// What the door's inputs deliver to the decision loop.
public enum DoorSensorInput: Hashable, Sendable {
    /// The door contact changed.
    case contact(open: Bool)
    /// The exit button was pressed.
    case exitButton
}

/// The reader port: one or more badge readers of one family (USB keyboard wedge, CCID, a FIFO), whatever the
/// hardware. The daemon starts it, receives reads and attach/detach events through `deliver`, and shows
/// decisions on the reader that read the badge.
public protocol ReaderPort: Sendable {
    /// The configured names of the readers this port serves.
    var readerNames: [String] { get }
    /// Opens the readers and starts delivering their input, from any thread, as `(reader name, input)`. A
    /// reader that fails later is reported as `.detached` and retried by the port; only a port that cannot
    /// start at all throws, with a message that says what to fix.
    func start(deliver: @escaping @Sendable (String, ReaderInput) -> Void) throws
    /// Stops delivering and releases the readers; returns promptly.
    func stop()
    /// Shows a decision on `reader` (its light or beeper), if it can; best effort, never blocks.
    func show(_ decision: Decision, on reader: String)
}

/// The alarm port: tells staff about an alarm event (door forced or held open, reader detached or locked out,
/// log degraded). Never blocks the caller.
public protocol AlarmPort: Sendable {
    /// Raises the alarm for `event` at `site`.
    func raise(_ event: EventRecord, site: String)
}

/// The registry's read side: pages of holders, badges and registrations for listings, read on the store's own
/// reader connections (never on the decision loop, and never all at once).
public protocol RegistryReader: Sendable {
    /// A page of holders, in id order.
    func holders(_ query: HolderQuery) throws(StoreError) -> [Holder]
    /// One holder (removed ones too), or nil.
    func holder(_ id: HolderID) throws(StoreError) -> Holder?
    /// A page of badges, in id order.
    func badges(_ query: BadgeQuery) throws(StoreError) -> [Badge]
    /// A page of registrations, in id order.
    func registrations(_ query: RegistrationQuery) throws(StoreError) -> [Registration]
    /// The holder's last granted entry, if any.
    func lastEntry(of holder: HolderID) throws(StoreError) -> Date?
    /// The names of those of `ids` that still exist (an erased holder has none).
    func holderNames(_ ids: Set<HolderID>) throws(StoreError) -> [HolderID: String]
    /// What importing `rows` would do, changing nothing: the plan a dry run reports and an import applies.
    func planImport(_ rows: [ImportRow]) throws(StoreError) -> ImportPlan
}

/// The store port: what the decision loop reads, and the only ways the event log grows.
///
/// One component calls the writing methods (the daemon's event sink), so the log has one writer and its order
/// is the order events happened. Every writing method commits what it writes in one transaction (after fsync)
/// or throws having committed nothing; events passed as `after:` are committed first, in order, in the same
/// transaction, so that a change never overtakes events that were waiting for the disk.
public protocol AccessStore: RegistryReader {
    /// The keyed fingerprint of a badge number.
    func fingerprint(of badge: BadgeID) throws(StoreError) -> BadgeFingerprint
    /// What the store knows about a presented badge, read fresh (a revocation applies to the next read).
    func credential(for fingerprint: BadgeFingerprint) throws(StoreError) -> Credential?
    /// The calendar overrides, in the order added.
    func overrides() throws(StoreError) -> [CalendarOverride]
    /// The stored door mode.
    func doorMode() throws(StoreError) -> DoorMode
    /// The weekdays whose hours `hours set` stored, in weekday order.
    func weekdayHours() throws(StoreError) -> [StoredWeekdayHours]
    /// Events matching `filter`, oldest first.
    func events(_ filter: EventFilter) throws(StoreError) -> [LoggedEvent]
    /// Where a listing of only the newest `count` events matching `filter` starts: the seq to list `after` (0
    /// when fewer match).
    func startOfNewest(_ filter: EventFilter, count: Int) throws(StoreError) -> Int64

    /// Appends events in one transaction; returns them as logged.
    func append(_ records: [EventRecord]) throws(StoreError) -> [LoggedEvent]
    /// Commits `pending`, then carries out `change` and logs it as one `admin_change` by `context.actor`, then
    /// signs a checkpoint — all in one transaction.
    func apply(
        _ change: RegistryChange, _ context: ChangeContext, after pending: [EventRecord]
    ) throws(StoreError) -> AppliedChange
    /// Commits `pending`, then removes the events older than `before` (leaving a signed anchor) and logs the
    /// purge as `log_purged` by `context.actor` — in one transaction.
    func purge(before: Date, _ context: ChangeContext, after pending: [EventRecord]) throws(StoreError) -> AppliedPurge
    /// What `purge(before:)` would remove now, removing nothing: how many events, and the last one's seq.
    func purgePreview(before: Date) throws(StoreError) -> (removed: Int, anchorSeq: Int64?)
    /// Signs a checkpoint over the last event unless one covers it; `monotonic` restarts the 15-minute clock.
    func signCheckpoint(kind: CheckpointKind, now: Date, monotonic: MonotonicInstant?) throws(StoreError)
    /// Signs a periodic checkpoint when 15 minutes (monotonic) passed since the last one and events were added.
    func signCheckpointIfDue(now: Date, monotonic: MonotonicInstant) throws(StoreError)
    /// Makes the database file alone hold everything (at shutdown).
    func flushWAL() throws(StoreError)
}
