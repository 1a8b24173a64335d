/// The door's state as the daemon reports it (the result of every door command).
public struct DoorStatus: Codable, Hashable, Sendable {
    /// `sim` or `gpio`.
    public var backend: String
    /// `locked` or `unlocked`.
    public var relay: String
    /// `open`, `closed`, or `none` without a contact.
    public var contact: String
    /// `normal`, `lockdown` or `hold_open`.
    public var mode: String
    /// The end of a hold-open (site zone, with the offset), else nil.
    public var holdUntil: String?
    /// How the lock behaves without power (`secure`: stays locked; `safe`: opens), as `[door] fail_mode`
    /// documents the wiring.
    public var failMode: String

    /// Creates a status.
    public init(backend: String, relay: String, contact: String, mode: String, holdUntil: String?, failMode: String) {
        self.backend = backend
        self.relay = relay
        self.contact = contact
        self.mode = mode
        self.holdUntil = holdUntil
        self.failMode = failMode
    }

    enum CodingKeys: String, CodingKey {
        case backend, relay, contact, mode
        case holdUntil = "hold_until"
        case failMode = "fail_mode"
    }
}

/// `door.status`: the relay, contact and mode.
public struct DoorStatusCommand: ControlCommand {
    /// The result.
    public typealias Result = DoorStatus
    /// The wire name.
    public static let name = "door.status"
    /// Readers may ask.
    public static let role = ControlRole.audit
    /// The command.
    public init() {}
}

/// `door.unlock`: unlock now, for `for` seconds (default the configured unlock time, at most 12 h).
public struct DoorUnlockCommand: ControlCommand {
    /// The result.
    public typealias Result = DoorStatus
    /// The wire name.
    public static let name = "door.unlock"
    /// Changes the door.
    public static let role = ControlRole.admin
    /// The longest remote unlock, in seconds.
    public static let maximumSeconds: Int64 = 43_200

    /// How long, in seconds (nil: the configured unlock time).
    public var seconds: Int64?

    /// The command.
    public init(seconds: Int64? = nil) { self.seconds = seconds }

    enum CodingKeys: String, CodingKey { case seconds = "for" }
}

/// `door.lock`: lock now (ends a timed unlock or a hold-open).
public struct DoorLockCommand: ControlCommand {
    /// The result.
    public typealias Result = DoorStatus
    /// The wire name.
    public static let name = "door.lock"
    /// Changes the door.
    public static let role = ControlRole.admin
    /// The command.
    public init() {}
}

/// `door.lockdown`: turn lockdown on or off (only `lockdown_override` profiles enter).
public struct DoorLockdownCommand: ControlCommand {
    /// The result.
    public typealias Result = DoorStatus
    /// The wire name.
    public static let name = "door.lockdown"
    /// Changes the door.
    public static let role = ControlRole.admin

    /// On or off.
    public var on: Bool

    /// The command.
    public init(on: Bool) { self.on = on }
}

/// `door.hold_open`: keep the door unlocked until a time.
public struct DoorHoldOpenCommand: ControlCommand {
    /// The result.
    public typealias Result = DoorStatus
    /// The wire name.
    public static let name = "door.hold_open"
    /// Changes the door.
    public static let role = ControlRole.admin

    /// Until when, as typed (`YYYY-MM-DDTHH:MM` in the site zone, or with an offset); the daemon parses it.
    public var until: String

    /// The command.
    public init(until: String) { self.until = until }
}

/// `door.release`: end lockdown or hold-open, back to normal.
public struct DoorReleaseCommand: ControlCommand {
    /// The result.
    public typealias Result = DoorStatus
    /// The wire name.
    public static let name = "door.release"
    /// Changes the door.
    public static let role = ControlRole.admin
    /// The command.
    public init() {}
}

/// `door.simulate`: a door input on the simulated door (`contact=open`, `contact=closed`, `exit`).
public struct DoorSimulateCommand: ControlCommand {
    /// The result.
    public typealias Result = DoorStatus
    /// The wire name.
    public static let name = "door.simulate"
    /// Changes the door.
    public static let role = ControlRole.admin
    /// The inputs it accepts.
    public static let inputs = ["contact=open", "contact=closed", "exit"]

    /// The input.
    public var input: String

    /// The command.
    public init(input: String) { self.input = input }
}
