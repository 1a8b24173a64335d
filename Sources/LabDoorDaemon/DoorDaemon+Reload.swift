import LabDoorConfig
import LabDoorCore
import Logging

extension DoorDaemon {
    /// Handles a SIGHUP's outcome: the new configuration in force and `config_reloaded` logged, or the
    /// running configuration kept and the error logged.
    func reload(_ result: ConfigReload) {
        notifier.reloading()
        defer { notifier.ready(status: statusLine) }
        let (now, _, trusted) = readClock()
        switch result {
        case .noFile:
            logger.notice("reload requested, but the daemon runs without a configuration file")
        case .failed(let error):
            logger.error(
                "configuration reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
            write(
                [
                    EventRecord(
                        time: now, kind: .configReloaded,
                        details: JSONValue.object([("ok", .bool(false)), ("error", .string(error.description))])
                            .description,
                        clockTrusted: trusted)
                ], now: now)
        case .loaded(let new):
            let restartNeeded = new.restartNeeded(comparedTo: config)
            use(new)
            logger.notice(
                "configuration reloaded",
                metadata: ["config.restart_needed": "\(restartNeeded.joined(separator: ", "))"])
            write(
                [
                    EventRecord(
                        time: now, kind: .configReloaded,
                        details: JSONValue.object([
                            ("ok", .bool(true)), ("restart_needed", .array(restartNeeded.map(JSONValue.string))),
                        ]).description, clockTrusted: trusted)
                ], now: now)
            if !sink.degraded {
                do { try ports.store.signCheckpoint(kind: .config, now: now, monotonic: nil) } catch {
                    logger.error("checkpoint after the reload failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
