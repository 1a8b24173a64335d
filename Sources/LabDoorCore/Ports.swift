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
    /// A device matched the reader's id but not its port or serial.
    case deviceRejected(String)
}

/// What the door's inputs deliver to the decision loop.
public enum DoorSensorInput: Hashable, Sendable {
    /// The door contact changed.
    case contact(open: Bool)
    /// The exit button was pressed.
    case exitButton
}
