public import Foundation

/// The door's state machine: when the relay unlocks and relocks, and which door events and alarms happen.
///
/// Pure: every input comes with the wall-clock and monotonic time, and the output is a list of actions for the
/// caller to carry out — the relay first, then the log. Timed unlocks are measured on the monotonic clock;
/// hold-open modes end at a wall-clock instant (staff say "until 18:00").
public struct DoorController: Sendable {
    /// Timing and wiring.
    public struct Settings: Hashable, Sendable {
        /// How long a grant, exit request or default remote unlock keeps the relay unlocked.
        public var unlockDuration: Duration
        /// How long the door may stand open before `door_held_open`.
        public var heldOpenAfter: Duration
        /// After a relock, a door opening within this time is not "forced" (someone pulled as it relocked).
        public var forcedGrace: Duration

        /// Creates settings.
        public init(
            unlockDuration: Duration = .seconds(5), heldOpenAfter: Duration = .seconds(30),
            forcedGrace: Duration = .seconds(1)
        ) {
            self.unlockDuration = unlockDuration
            self.heldOpenAfter = heldOpenAfter
            self.forcedGrace = forcedGrace
        }
    }

    /// Why the relay unlocks.
    public enum UnlockCause: String, Hashable, Sendable {
        /// A badge was granted.
        case granted
        /// The exit button was pressed.
        case exitRequest = "exit_request"
        /// Staff unlocked the door remotely.
        case remote
        /// A hold-open mode is in force.
        case holdOpen = "hold_open"
    }

    /// Something that happened at the door or was asked of it.
    public enum Input: Hashable, Sendable {
        /// A badge was granted (holder if known).
        case granted(HolderID?)
        /// The exit button was pressed.
        case exitRequest
        /// Staff unlock for a while.
        case remoteUnlock(Duration)
        /// Staff lock now (ends a timed unlock).
        case lock
        /// The door mode changed (lockdown relocks; hold-open unlocks until its end).
        case mode(DoorMode)
        /// The door contact changed.
        case contact(open: Bool)
        /// Time passes: timers are checked.
        case tick
    }

    /// What the caller must do.
    public enum Action: Hashable, Sendable {
        /// Drive the relay (`true`: unlocked), with why and for whom.
        case relay(unlocked: Bool, cause: String, holder: HolderID?)
        /// Log an event (and run the alarm hook if `alarm`).
        case event(EventKind, details: String?, alarm: Bool)
    }

    /// The settings; may change on reload.
    public var settings: Settings
    /// Whether the relay is (commanded) unlocked.
    public private(set) var relayUnlocked = false
    /// Whether the door contact reports open (false when there is no contact).
    public private(set) var doorOpen = false
    /// The mode in force.
    public private(set) var mode: DoorMode = .normal
    private var unlockedUntil: MonotonicInstant?
    private var unlockCause: UnlockCause?
    private var openedDuringUnlock = false
    private var openedAt: MonotonicInstant?
    private var heldOpenReported = false
    private var relockedAt: MonotonicInstant?

    /// A locked door, closed, in normal mode.
    public init(settings: Settings) { self.settings = settings }

    /// The current unlock's cause, if unlocked.
    public var cause: UnlockCause? { relayUnlocked ? unlockCause : nil }

    /// Handles one input at `now` (wall) / `monotonic`, returning the actions in the order to carry them out.
    public mutating func handle(_ input: Input, now: Date, monotonic: MonotonicInstant) -> [Action] {
        var actions: [Action] = []
        switch input {
        case .granted(let holder):
            actions += unlock(for: settings.unlockDuration, cause: .granted, at: monotonic, holder: holder)
        case .exitRequest:
            // Egress always works, also in lockdown: people must be able to leave.
            actions.append(.event(.exitRequest, details: nil, alarm: false))
            actions += unlock(for: settings.unlockDuration, cause: .exitRequest, at: monotonic, holder: nil)
        case .remoteUnlock(let duration):
            actions += unlock(for: duration, cause: .remote, at: monotonic, holder: nil)
        case .lock:
            if case .holdOpen = mode { mode = .normal }
            actions += relock(at: monotonic, cause: "remote_lock")
        case .mode(let newMode):
            mode = newMode
            switch newMode {
            case .lockdown:
                actions += relock(at: monotonic, cause: "lockdown")
            case .normal:
                // Ends a hold-open; a timed unlock in progress (a grant, an exit) runs its course.
                if unlockCause == .holdOpen { actions += relock(at: monotonic, cause: "hold_open_ended") }
            case .holdOpen(let until):
                if now < until {
                    unlockedUntil = nil
                    actions += setUnlocked(cause: .holdOpen, holder: nil)
                } else {
                    mode = .normal
                }
            }
        case .contact(let open):
            actions += contact(open: open, at: monotonic)
        case .tick:
            break
        }
        actions += timers(now: now, monotonic: monotonic)
        return actions
    }

    private mutating func unlock(
        for duration: Duration, cause: UnlockCause, at monotonic: MonotonicInstant, holder: HolderID?
    )
        -> [Action]
    {
        if case .holdOpen = mode, relayUnlocked { return [] }  // already open until the hold ends
        let until = monotonic + duration
        if let current = unlockedUntil, current > until, relayUnlocked { return [] }
        unlockedUntil = until
        if relayUnlocked {
            unlockCause = cause
            return []
        }
        openedDuringUnlock = false
        return setUnlocked(cause: cause, holder: holder)
    }

    private mutating func setUnlocked(cause: UnlockCause, holder: HolderID?) -> [Action] {
        unlockCause = cause
        guard !relayUnlocked else { return [] }
        relayUnlocked = true
        let details = JSONValue.object(
            [("cause", .string(cause.rawValue))] + (holder.map { [("holder", .int($0.rawValue))] } ?? []))
        return [
            .relay(unlocked: true, cause: cause.rawValue, holder: holder),
            .event(.doorUnlocked, details: details.description, alarm: false),
        ]
    }

    private mutating func relock(at monotonic: MonotonicInstant, cause: String) -> [Action] {
        unlockedUntil = nil
        guard relayUnlocked else { return [] }
        relayUnlocked = false
        unlockCause = nil
        relockedAt = monotonic
        return [
            .relay(unlocked: false, cause: cause, holder: nil),
            .event(.doorRelocked, details: JSONValue.object([("cause", .string(cause))]).description, alarm: false),
        ]
    }

    private mutating func contact(open: Bool, at monotonic: MonotonicInstant) -> [Action] {
        guard open != doorOpen else { return [] }
        doorOpen = open
        if open {
            openedAt = monotonic
            heldOpenReported = false
            var actions: [Action] = [.event(.doorOpened, details: nil, alarm: false)]
            if relayUnlocked {
                openedDuringUnlock = true
            } else if relockedAt.map({ monotonic - $0 >= settings.forcedGrace }) ?? true {
                actions.append(
                    .event(
                        .doorForced, details: "the door opened while locked, without a grant or exit request",
                        alarm: true))
            }
            return actions
        }
        openedAt = nil
        var actions: [Action] = [.event(.doorClosed, details: nil, alarm: false)]
        // Relock early once a person has passed: the door opened during this unlock and closed again.
        if relayUnlocked, openedDuringUnlock, unlockCause != .holdOpen {
            actions += relock(at: monotonic, cause: "door_closed")
        }
        return actions
    }

    private mutating func timers(now: Date, monotonic: MonotonicInstant) -> [Action] {
        var actions: [Action] = []
        if case .holdOpen(let until) = mode, now >= until {
            mode = .normal
            actions += relock(at: monotonic, cause: "hold_open_ended")
        }
        if let until = unlockedUntil, monotonic >= until, relayUnlocked, unlockCause != .holdOpen {
            actions += relock(at: monotonic, cause: "timeout")
        }
        let holdingOpen: Bool = if case .holdOpen = mode { true } else { false }
        if doorOpen, !heldOpenReported, !holdingOpen, let openedAt, monotonic - openedAt >= settings.heldOpenAfter {
            heldOpenReported = true
            let seconds = Int(settings.heldOpenAfter.components.seconds)
            actions.append(
                .event(.doorHeldOpen, details: "the door has been open for more than \(seconds) s", alarm: true))
        }
        return actions
    }
}
