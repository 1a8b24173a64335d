import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import Logging
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the configured alarm program with the alarm event as JSON on standard input, so staff get a message
/// (door forced, held open, reader detached or locked out, log degraded). Never blocks the caller: the program
/// runs as an async child process (swift-subprocess: no polling thread); after its timeout it gets SIGTERM,
/// then SIGKILL two seconds later. At most `maximumRunning` run at once (further alarms are logged and skipped).
final class AlarmHook: AlarmPort {
    static let maximumRunning = 4
    /// How long a program that got SIGTERM at its timeout may take before SIGKILL.
    static let terminationGrace: Duration = .seconds(2)

    let command: [String]?
    let socket: String?
    let timeout: Duration
    let logger: Logger
    private let running = Mutex(0)
    /// Socket deliveries, one at a time, off the cooperative pool (connect and write block, briefly).
    private let deliveries = DispatchQueue(label: "labdoord.alarm.socket")

    /// A hook running `command`, or writing to `socket` (both nil: alarms are only logged).
    init(command: [String]?, socket: String? = nil, timeout: Duration, logger: Logger) {
        self.command = command
        self.socket = socket
        self.timeout = timeout
        self.logger = logger
    }

    /// The hook `[alarms]` describes.
    convenience init(_ settings: AlarmSettings, logger: Logger) {
        self.init(
            command: settings.command, socket: settings.socket, timeout: .seconds(settings.timeoutSeconds),
            logger: logger)
    }

    /// The alarm's JSON document.
    static func json(_ event: EventRecord, site: String) -> String {
        JSONValue.object([
            ("site", .string(site)), ("kind", .string(event.kind.rawValue)),
            ("time", .string(UTCTimestamp.format(event.time))),
            ("reader", .optional(event.reader)), ("details", .optional(event.details)),
        ]).description
    }

    /// Logs the alarm and starts the hook for it (or hands it to the alarm socket) in the background.
    func raise(_ event: EventRecord, site: String) {
        if let socket {
            logAlarm(event)
            let line = Self.json(event, site: site)
            deliveries.async { [self] in deliver(line, to: socket, kind: event.kind.rawValue) }
            return
        }
        guard let started = admit(event, site: site) else { return }
        Task.detached { [self] in await self.run(started, kind: event.kind.rawValue) }
    }

    /// Logs the alarm, runs the hook and waits until it has finished or was stopped (used when the daemon is
    /// about to exit and must not lose the alarm).
    func raiseAndWait(_ event: EventRecord, site: String) async {
        if let socket {
            logAlarm(event)
            let line = Self.json(event, site: site)
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                deliveries.async { [self] in
                    deliver(line, to: socket, kind: event.kind.rawValue)
                    done.resume()
                }
            }
            return
        }
        guard let started = admit(event, site: site) else { return }
        await run(started, kind: event.kind.rawValue)
    }

    private func logAlarm(_ event: EventRecord) {
        logger.warning(
            "alarm", metadata: ["alarm.kind": "\(event.kind.rawValue)", "alarm.details": "\(event.details ?? "")"])
    }

    /// Writes one alarm line to the alarm socket and closes; a service behind it (socket-activated, with the
    /// network the daemon's sandbox does not have) does the rest.
    private func deliver(_ line: String, to socket: String, kind: String) {
        do {
            let channel = LineChannel(fd: try UnixSocket.connect(socket))
            defer { channel.close() }
            var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
            setsockopt(channel.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            guard channel.send(line: line) else {
                logger.error("alarm socket did not take the alarm", metadata: ["alarm.socket": "\(socket)"])
                return
            }
        } catch {
            logger.error(
                "cannot hand the alarm to the alarm socket",
                metadata: ["alarm.socket": "\(socket)", "alarm.kind": "\(kind)", "error": "\(error)"])
        }
    }

    private struct Started: Sendable {
        let program: String
        let arguments: [String]
        let input: String
    }

    private func admit(_ event: EventRecord, site: String) -> Started? {
        logAlarm(event)
        guard let command, let program = command.first else { return nil }
        let admitted = running.withLock { count -> Bool in
            guard count < Self.maximumRunning else { return false }
            count += 1
            return true
        }
        guard admitted else {
            logger.error(
                "alarm hook skipped: too many still running", metadata: ["alarm.kind": "\(event.kind.rawValue)"])
            return nil
        }
        return Started(
            program: program, arguments: Array(command.dropFirst()), input: Self.json(event, site: site) + "\n")
    }

    private enum Outcome: Sendable {
        case finished(TerminationStatus)
        case timedOut
    }

    private func run(_ started: Started, kind: String) async {
        defer { running.withLock { $0 -= 1 } }
        let timeout = timeout
        do {
            let outcome = try await withThrowingTaskGroup(of: Outcome.self) { group -> Outcome in
                group.addTask {
                    var options = PlatformOptions()
                    options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: Self.terminationGrace)]
                    let result = try await Subprocess.run(
                        .path(FilePath(started.program)), arguments: Arguments(started.arguments),
                        platformOptions: options, input: .string(started.input), output: .discarded,
                        error: .discarded)
                    return .finished(result.terminationStatus)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return .timedOut
                }
                defer { group.cancelAll() }
                return try await group.next() ?? .timedOut
            }
            switch outcome {
            case .timedOut:
                logger.error("alarm hook timed out and was stopped", metadata: ["alarm.command": "\(started.program)"])
            case .finished(let status) where !status.isSuccess:
                logger.error(
                    "alarm hook failed", metadata: ["alarm.command": "\(started.program)", "alarm.status": "\(status)"])
            case .finished:
                break
            }
        } catch {
            logger.error(
                "alarm hook could not start",
                metadata: ["alarm.command": "\(started.program)", "alarm.kind": "\(kind)", "error": "\(error)"])
        }
    }
}
