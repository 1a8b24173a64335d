public import Foundation

/// The kind of an entry in the event log. The raw values are an interface (log, JSON, CSV): never rename one.
public enum EventKind: String, CaseIterable, Hashable, Sendable {
    /// A badge was presented and decided (`decision` and `reason` are set).
    case badgeDecision = "badge_decision"
    /// The relay was driven unlocked.
    case doorUnlocked = "door_unlocked"
    /// The relay was driven locked again.
    case doorRelocked = "door_relocked"
    /// The door contact reports the door open.
    case doorOpened = "door_opened"
    /// The door contact reports the door closed.
    case doorClosed = "door_closed"
    /// The door has stayed open longer than allowed.
    case doorHeldOpen = "door_held_open"
    /// The door opened while locked, without a grant or exit request.
    case doorForced = "door_forced"
    /// The exit button was pressed.
    case exitRequest = "exit_request"
    /// A reader was attached.
    case readerAttached = "reader_attached"
    /// A reader was detached.
    case readerDetached = "reader_detached"
    /// A reader was locked out after repeated denied reads.
    case readerLockedOut = "reader_locked_out"
    /// A device matched a reader's vid:pid but not its port or serial, and is not used.
    case readerRejected = "reader_rejected"
    /// A reader delivered input that is not a badge read (garbage, human typing speed, too long).
    case readerInputRejected = "reader_input_rejected"
    /// Staff changed data or the door mode (`actor` is set).
    case adminChange = "admin_change"
    /// A read on a reader waiting for enrolment (`badge assign --from-reader`) became the holder's badge; the door
    /// stayed locked (`badge`, `holder`, `reader` and `actor` are set).
    case badgeEnrolled = "badge_enrolled"
    /// A read on a reader waiting for enrolment could not be enrolled (the badge belongs to someone else, the
    /// holder is gone); `details` says why. The door stayed locked.
    case badgeEnrolmentFailed = "badge_enrolment_failed"
    /// The daemon started.
    case daemonStarted = "daemon_started"
    /// The daemon stopped cleanly.
    case daemonStopped = "daemon_stopped"
    /// The daemon found it had not stopped cleanly last time.
    case recoveredUncleanShutdown = "recovered_unclean_shutdown"
    /// The configuration was (re)loaded.
    case configReloaded = "config_reloaded"
    /// The wall clock was stepped, or its trust changed.
    case clockStep = "clock_step"
    /// Events could not be written for a while (disk full, I/O error); they were buffered.
    case logDegraded = "log_degraded"
    /// Old events were purged; `details` says up to where.
    case logPurged = "log_purged"
    /// `labdoord --init` began a new, empty log (the first event of that log); `details` says whether the site's
    /// keys were kept and where a lost or damaged database was moved.
    case logInitialized = "log_initialized"
}

/// Whether a badge decision opened the door.
public enum Outcome: String, CaseIterable, Hashable, Sendable {
    /// Access granted.
    case granted
    /// Access denied.
    case denied
}

/// An event to be appended to the log. Times are UTC; the log stores them to the millisecond.
public struct EventRecord: Hashable, Sendable {
    /// When it happened (wall clock, UTC).
    public var time: Date
    /// What happened.
    public var kind: EventKind
    /// The reader's configured name, for reader and badge events.
    public var reader: String?
    /// The badge's fingerprint (never its number).
    public var badge: BadgeFingerprint?
    /// The holder, when known.
    public var holderID: HolderID?
    /// Granted or denied, for badge decisions.
    public var outcome: Outcome?
    /// The reason code, for badge decisions.
    public var reason: ReasonCode?
    /// The Unix user who made an admin change.
    public var actor: String?
    /// Free text or compact JSON with the particulars.
    public var details: String?
    /// Whether the wall clock was trusted when the event was recorded.
    public var clockTrusted: Bool

    /// Creates an event.
    public init(
        time: Date, kind: EventKind, reader: String? = nil, badge: BadgeFingerprint? = nil, holderID: HolderID? = nil,
        outcome: Outcome? = nil, reason: ReasonCode? = nil, actor: String? = nil, details: String? = nil,
        clockTrusted: Bool
    ) {
        self.time = time
        self.kind = kind
        self.reader = reader
        self.badge = badge
        self.holderID = holderID
        self.outcome = outcome
        self.reason = reason
        self.actor = actor
        self.details = details
        self.clockTrusted = clockTrusted
    }

    /// The event recording a badge decision.
    public static func decision(
        _ decision: Decision, badge: BadgeFingerprint?, reader: String, at time: Date, clockTrusted: Bool
    ) -> EventRecord {
        EventRecord(
            time: time, kind: .badgeDecision, reader: reader, badge: badge, holderID: decision.holderID,
            outcome: decision.isGranted ? .granted : .denied, reason: decision.reason, details: decision.explanation,
            clockTrusted: clockTrusted)
    }
}

/// UTC timestamps as the log stores them: `YYYY-MM-DDTHH:MM:SS.mmmZ`, always 24 characters, so that text order is
/// time order. Formatting is integer arithmetic, independent of locale and system calendar.
public enum UTCTimestamp {
    /// Formats `date` (truncated to the millisecond). A value within a microsecond of a whole millisecond counts
    /// as that millisecond, so that binary floating point (0.999 s is 998.99999… ms) never moves a time that was
    /// parsed from the log: `format(parse(text)) == text`.
    public static func format(_ date: Date) -> String {
        let scaled = date.timeIntervalSince1970 * 1000
        let nearest = scaled.rounded()
        let ms = Int64(abs(scaled - nearest) < 0.001 ? nearest : scaled.rounded(.down))
        let days = Int(ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000)
        let rest = Int(ms - Int64(days) * 86_400_000)
        let d = LocalDate(dayNumber: days)
        let time = TimeOfDay(uncheckedSeconds: rest / 1000)
        return "\(d)T\(LocalDate.pad(time.hour, 2)):\(LocalDate.pad(time.minute, 2)):\(LocalDate.pad(time.second, 2))."
            + "\(LocalDate.pad(rest % 1000, 3))Z"
    }

    /// Parses the format above, and also `YYYY-MM-DDTHH:MM:SSZ`; nil for anything else.
    ///
    /// Works on the UTF-8 bytes at fixed offsets: every stored time of every row read passes through here (a badge
    /// read parses five), and slicing by Character was a measurable part of a decision.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(parse(bytes:))
    }

    private static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Date? {
        guard b.count == 24 || b.count == 20, b[b.count - 1] == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"),
            b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"),
            b[16] == UInt8(ascii: ":"), b.count == 20 || b[19] == UInt8(ascii: ".")
        else { return nil }
        func number(_ start: Int, _ length: Int) -> Int? {
            var value = 0
            for index in start..<(start + length) {
                let digit = b[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let date = LocalDate(year: year, month: month, day: day),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            hour < 24, minute < 60, second < 60, let ms = b.count == 24 ? number(20, 3) : 0
        else { return nil }
        let seconds = Int64(date.dayNumber) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: (Double(seconds * 1000 + Int64(ms))) / 1000)
    }
}
