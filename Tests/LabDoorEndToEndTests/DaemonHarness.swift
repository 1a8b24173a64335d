import Foundation
import LabDoorCore
import LabDoorStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real `labdoord` in a temporary directory: FIFO reader "entry", simulated door, its own socket, a trusted
/// clock and an alarm hook that appends to alarms.jsonl. Waits are bounded polls, never timing assertions.
final class DaemonHarness: @unchecked Sendable {
    let dir: URL
    var configPath: String { dir.appendingPathComponent("labdoor.toml").path }
    var socket: String { dir.appendingPathComponent("control.sock").path }
    var fifo: String { dir.appendingPathComponent("entry.fifo").path }
    var database: String {
        (stateDirectory ?? dir.appendingPathComponent("state")).appendingPathComponent("labdoor.db").path
    }
    /// The state directory, when not `dir/state`.
    private(set) var stateDirectory: URL?
    var alarmsFile: String { dir.appendingPathComponent("alarms.jsonl").path }
    private(set) var process: Process?
    private var stdoutPipe: Pipe?
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""

    init(unlockSeconds: Int = 2, heldOpenSeconds: Int = 2, extra: String = "") throws {
        dir = try Binaries.temporaryDirectory()
        try Self.configText(dir: dir, unlockSeconds: unlockSeconds, heldOpenSeconds: heldOpenSeconds, extra: extra)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// A harness whose daemon uses an existing state directory (a database and keys made elsewhere).
    init(state: URL, unlockSeconds: Int = 2, heldOpenSeconds: Int = 2) throws {
        dir = try Binaries.temporaryDirectory()
        stateDirectory = state
        try Self.configText(dir: dir, unlockSeconds: unlockSeconds, heldOpenSeconds: heldOpenSeconds, extra: "")
            .replacingOccurrences(of: "state_dir = \"\(dir.path)/state\"", with: "state_dir = \"\(state.path)\"")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// A harness on an existing directory (its configuration and state), e.g. to restart after a crash.
    init(existing: URL) throws {
        dir = existing
    }

    static func configText(dir: URL, unlockSeconds: Int, heldOpenSeconds: Int, extra: String) -> String {
        """
        [paths]
        state_dir = "\(dir.path)/state"
        socket = "\(dir.path)/control.sock"
        [door]
        backend = "sim"
        unlock_seconds = \(unlockSeconds)
        held_open_seconds = \(heldOpenSeconds)
        [[reader]]
        name = "entry"
        backend = "fifo"
        path = "\(dir.path)/entry.fifo"
        [clock]
        trust = "always"
        [alarms]
        command = "cat >> \(dir.path)/alarms.jsonl; echo >> \(dir.path)/alarms.jsonl"
        \(extra)
        """
    }

    /// Starts the daemon and waits until its socket answers.
    func start(environment: [String: String] = [:], umask mask: Int? = nil) throws {
        let process = Process()
        if let mask {
            // Through a shell, to start the daemon with that umask (Process has no setting for it).
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c", "umask \(String(mask, radix: 8)); exec \"$0\" --config \"$1\"",
                Binaries.directory.appendingPathComponent("labdoord").path, configPath,
            ]
        } else {
            process.executableURL = Binaries.directory.appendingPathComponent("labdoord")
            process.arguments = ["--config", configPath]
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.lock.withLock { self?.stdoutText += text }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.lock.withLock { self?.stderrText += text }
        }
        try process.run()
        self.process = process
        stdoutPipe = out
        try waitFor("the control socket", timeout: 20) { (try? self.ctl(["status"]).status) == 0 }
    }

    var output: String { lock.withLock { stdoutText } }
    var errors: String { lock.withLock { stderrText } }

    /// Runs labdoorctl against this daemon.
    func ctl(_ arguments: [String]) throws -> Binaries.Result {
        try Binaries.run("labdoorctl", ["--socket", socket] + arguments)
    }

    /// Runs labdoorctl and requires success.
    @discardableResult
    func ctlOK(_ arguments: [String]) throws -> String {
        let result = try ctl(arguments)
        guard result.status == 0 else {
            throw HarnessError(message: "labdoorctl \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        return result.stdout
    }

    /// Presents a badge on the FIFO reader.
    func badge(_ number: String) throws {
        let fd = open(fifo, O_WRONLY | O_NONBLOCK)
        guard fd >= 0 else { throw HarnessError(message: "cannot open \(fifo)") }
        defer { close(fd) }
        let bytes = Array((number + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Waits until `condition` holds, failing after `timeout` seconds with what was awaited.
    func waitFor(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            if let process, !process.isRunning {
                throw HarnessError(
                    message: "labdoord exited (\(process.terminationStatus)) while waiting for \(what)\n\(errors)")
            }
            usleep(50_000)
        }
        throw HarnessError(message: "timed out waiting for \(what)\nstdout:\n\(output)\nstderr:\n\(errors)")
    }

    /// Waits until the daemon printed a line containing `text` at least `count` times.
    func waitForOutput(_ text: String, count: Int = 1, timeout: Double = 10) throws {
        try waitFor("\"\(text)\" ×\(count) on stdout", timeout: timeout) {
            self.output.components(separatedBy: text).count - 1 >= count
        }
    }

    /// The committed events (read-only, as an auditor would).
    func events() throws -> [LoggedEvent] {
        try LabDoorStore(readOnlyPath: database).events()
    }

    /// Waits until an event of `kind` (and `reason`, if given) is committed; returns it.
    @discardableResult
    func waitForEvent(
        _ kind: EventKind, reason: ReasonCode? = nil, after seq: Int64 = 0, timeout: Double = 10
    ) throws -> LoggedEvent {
        var found: LoggedEvent?
        try waitFor("a \(kind.rawValue) event\(reason.map { " (\($0.rawValue))" } ?? "")", timeout: timeout) {
            found = try events().first {
                $0.seq > seq && $0.record.kind == kind && (reason == nil || $0.record.reason == reason)
            }
            return found != nil
        }
        guard let found else { throw HarnessError(message: "unreachable") }
        return found
    }

    var lastSeq: Int64 { (try? events().last?.seq) ?? 0 }

    /// Sends `signal` and waits for the process to exit.
    func stop(_ signal: Int32 = SIGTERM) throws -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, signal)
        try waitFor("labdoord to exit", timeout: 20) { !process.isRunning }
        return process.terminationStatus
    }

    func cleanUp() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dir)
    }

    /// Kills the process with SIGKILL and returns everything it wrote to standard output, to the last byte.
    func kill9AndCollectOutput() -> String {
        kill9()
        if let pipe = stdoutPipe {
            pipe.fileHandleForReading.readabilityHandler = nil
            let rest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            lock.withLock { stdoutText += rest }
        }
        return output
    }

    /// Stops the process without removing the directory.
    func kill9() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
