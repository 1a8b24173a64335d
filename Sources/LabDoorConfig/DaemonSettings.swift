public import LabDoorCore

/// Where the daemon keeps its state and its control socket (`[paths]`).
public struct PathSettings: Hashable, Sendable {
    /// `labdoor.db` and `keys/` live here.
    public var stateDirectory = "/var/lib/labdoor"
    /// The control socket.
    public var socket = "/run/labdoor/control.sock"

    /// The device defaults.
    public init() {}

    /// Custom paths.
    public init(stateDirectory: String, socket: String) {
        self.stateDirectory = stateDirectory
        self.socket = socket
    }

    /// The database path.
    public var database: String { "\(stateDirectory)/labdoor.db" }
    /// The keys directory.
    public var keys: String { "\(stateDirectory)/keys" }
}

/// A GPIO line: by offset on its chip, or by name.
public enum LineReference: Hashable, Sendable, CustomStringConvertible {
    /// The line's offset on the chip.
    case offset(Int)
    /// The line's name (as `gpioinfo` shows it).
    case name(String)

    /// The offset or name.
    public var description: String {
        switch self {
        case .offset(let n): String(n)
        case .name(let s): "\"\(s)\""
        }
    }
}

/// A logic level.
public enum Level: String, Hashable, Sendable, CaseIterable {
    /// Logic high.
    case high
    /// Logic low.
    case low
}

/// The door hardware and timing (`[door]`).
public struct DoorSettings: Hashable, Sendable {
    /// The door backend.
    public enum Backend: String, Hashable, Sendable, CaseIterable {
        /// libgpiod lines.
        case gpio
        /// A simulated door that prints its changes on standard output.
        case sim
    }

    /// What the lock does without power (or when the daemon dies): the wiring decides, the setting documents it.
    public enum FailMode: String, Hashable, Sendable, CaseIterable {
        /// Locked without power (the default; electric strike or maglock wired fail-secure).
        case secure
        /// Unlocked without power (fire-code exits).
        case safe
    }

    /// The backend.
    public var backend: Backend = .sim
    /// The GPIO chip: label, name (gpiochip0) or /dev path.
    public var chip: String?
    /// The relay line.
    public var relayLine: LineReference?
    /// Whether the relay is energised by a low level.
    public var relayActiveLow = false
    /// The door contact line.
    public var contactLine: LineReference?
    /// The contact level that means "door open".
    public var contactOpenLevel: Level = .high
    /// The exit (request-to-exit) button line.
    public var exitLine: LineReference?
    /// The exit button's pressed level.
    public var exitActiveLevel: Level = .low
    /// Optional feedback outputs.
    public var greenLEDLine: LineReference?
    /// Optional feedback outputs.
    public var redLEDLine: LineReference?
    /// Optional feedback outputs.
    public var buzzerLine: LineReference?
    /// Input debounce.
    public var debounceMilliseconds = 30
    /// How long a grant unlocks.
    public var unlockSeconds = 5
    /// How long the door may stand open before an alarm.
    public var heldOpenSeconds = 30
    /// Fail-secure or fail-safe.
    public var failMode: FailMode = .secure

    /// The simulated door with default timing.
    public init() {}
}

/// One badge reader (`[[reader]]`).
public struct ReaderSettings: Hashable, Sendable {
    /// The reader backend.
    public enum Backend: String, Hashable, Sendable, CaseIterable {
        /// A USB HID keyboard-wedge reader, read with libusb.
        case usb
        /// Badge numbers, one per line, on standard input.
        case stdin
        /// Badge numbers, one per line, written to a named pipe.
        case fifo
        /// A CCID contactless (NFC) reader, read with libusb; the card's UID is the badge number.
        case ccid

        /// Whether the reader is a USB device selected by `usb = "vid:pid"`.
        public var isUSB: Bool { self == .usb || self == .ccid }
    }

    /// The name in every event ("entry", "exit").
    public var name: String
    /// The backend.
    public var backend: Backend
    /// The FIFO path (`fifo`).
    public var path: String?
    /// USB vendor id (`usb`).
    public var vendorID: UInt16?
    /// USB product id (`usb`).
    public var productID: UInt16?
    /// Only the device on this USB port path, e.g. "1-1.2".
    public var port: String?
    /// Only the device with this serial number.
    public var serial: String?
    /// Partial input is dropped after this pause between keys.
    public var interkeyTimeoutMilliseconds = 100
    /// How a CCID reader writes a card's UID as the badge number (`ccid`).
    public var uidFormat = UIDFormat.hex

    /// A reader with the given name and backend.
    public init(name: String, backend: Backend) {
        self.name = name
        self.backend = backend
    }
}

/// The alarm hook (`[alarms]`): a program the daemon runs itself (inside its own sandbox: no network), or a
/// socket it hands each alarm to (the packaged `labdoor-alarm.socket`, whose per-alarm service may use the
/// network to mail or post). At most one of the two.
public struct AlarmSettings: Hashable, Sendable {
    /// The program and its arguments, run with the alarm event as JSON on standard input; nil: no hook.
    public var command: [String]?
    /// A Unix stream socket to write each alarm's JSON line to (then close); nil: none.
    public var socket: String?
    /// The hook is killed after this long (the socket write gives up after it).
    public var timeoutSeconds = 10
}

/// How the daemon judges the wall clock (`[clock]`).
public enum ClockTrustSource: String, Hashable, Sendable, CaseIterable {
    /// Trusted when systemd-timesyncd reports synchronisation, or the kernel (adjtimex) does.
    case system
    /// Always trusted (test benches without NTP; not for production).
    case always
    /// Never trusted (only time-independent profiles get in).
    case never
}
