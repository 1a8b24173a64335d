import Foundation
import LabDoorCore
import Logging

/// Runs the configured alarm program with the alarm event as JSON on standard input, so staff get a message
/// (door forced, held open, reader detached or locked out, log degraded). Never blocks the caller: the program
/// runs on a background queue, is killed after its timeout, and at most `maximumRunning` run at once (further
/// alarms are logged and skipped).
final class AlarmHook: Sendable {
    let command: [String]?
    let timeout: Duration
    let logger: Logger
    static let maximumRunning = 4
    private let running = NSLock()
    nonisolated(unsafe) private var count = 0

    /// A hook running `command` (nil: alarms are only logged).
    init(command: [String]?, timeout: Duration, logger: Logger) {
        self.command = command
        self.timeout = timeout
        self.logger = logger
    }

    /// The alarm's JSON document.
    static func json(_ event: EventRecord, site: String) -> String {
        JSONValue.object([
            ("site", .string(site)), ("kind", .string(event.kind.rawValue)),
            ("time", .string(UTCTimestamp.format(event.time))),
            ("reader", .optional(event.reader)), ("details", .optional(event.details)),
        ]).description
    }

    /// Fires the hook for `event` in the background.
    func fire(_ event: EventRecord, site: String) {
        logger.warning(
            "alarm", metadata: ["alarm.kind": "\(event.kind.rawValue)", "alarm.details": "\(event.details ?? "")"])
        guard let command, let program = command.first else { return }
        let admitted = running.withLock { () -> Bool in
            guard count < Self.maximumRunning else { return false }
            count += 1
            return true
        }
        guard admitted else {
            logger.error(
                "alarm hook skipped: too many still running", metadata: ["alarm.kind": "\(event.kind.rawValue)"])
            return
        }
        let input = Self.json(event, site: site) + "\n"
        let timeout = timeout
        let logger = logger
        DispatchQueue.global().async { [self] in
            defer { running.withLock { count -= 1 } }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(command.dropFirst())
            let stdin = Pipe()
            process.standardInput = stdin
            process.standardOutput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                logger.error(
                    "alarm hook could not start", metadata: ["alarm.command": "\(program)", "error": "\(error)"])
                return
            }
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(TimeInterval(timeout.components.seconds))
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                process.terminate()
                logger.error("alarm hook timed out and was stopped", metadata: ["alarm.command": "\(program)"])
            } else if process.terminationStatus != 0 {
                logger.error(
                    "alarm hook failed",
                    metadata: ["alarm.command": "\(program)", "alarm.status": "\(process.terminationStatus)"])
            }
        }
    }
}
