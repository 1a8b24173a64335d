import LabDoorCore

/// Everything the decision loop handles, in the order it arrived: reader input, door sensors, control
/// requests, timer ticks and reloads. One loop handles them one at a time.
enum DaemonInput: Sendable {
    case reader(String, ReaderInput)
    case sensor(DoorSensorInput)
    case request(JSONValue, Caller, reply: @Sendable (JSONValue) -> Void)
    case tick
    case reload
}
