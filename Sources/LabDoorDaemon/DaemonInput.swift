import LabDoorConfig
import LabDoorCore

/// Everything the decision loop handles, in the order it arrived: reader input, door sensors, control
/// requests, timer ticks and reloads. One loop handles them one at a time.
enum DaemonInput: Sendable {
    /// A reader's read, rejection or state change.
    case reader(String, ReaderInput)
    /// The door contact or exit button.
    case sensor(DoorSensorInput)
    /// A control request, already decoded and authorised, to run on the loop.
    case request(LoopRequest)
    /// Time passes (four times a second).
    case tick
    /// SIGHUP: the configuration file, read and checked off the loop.
    case reload(ConfigReload)
}

/// Work a control request does on the decision loop; it answers its client itself.
struct LoopRequest: Sendable {
    let run: @Sendable (isolated DoorDaemon) -> Void
}

/// The outcome of reading the configuration again (done off the decision loop, so a slow parse never delays a
/// badge).
enum ConfigReload: Sendable {
    /// The daemon runs without a configuration file.
    case noFile
    /// The file is broken; the running configuration stays.
    case failed(ConfigurationError)
    /// The new configuration.
    case loaded(LabDoorConfiguration)

    /// Reads `path` (nil: no file).
    static func read(_ path: String?) -> ConfigReload {
        guard let path else { return .noFile }
        do {
            return .loaded(try LabDoorConfiguration.load(path: path))
        } catch {
            return .failed(error)
        }
    }
}
