import Foundation
import LabDoorCore

#if canImport(Glibc)
    import Glibc
#endif

/// A progress bar with rate and ETA on standard error, for long work — only when standard error is a terminal
/// and `--quiet` was not given (nothing when piped). Redrawn at most ten times a second, on one line.
final class Progress {
    private let label: String
    private var total: Int64?
    private let unit: String
    private let start = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    private var done: Int64 = 0
    private var drawn = false

    /// A bar for `label`, or nil when it would not be shown.
    static func bar(_ label: String, total: Int64?, unit: String = "", quiet: Bool) -> Progress? {
        guard !quiet, isatty(STDERR_FILENO) == 1 else { return nil }
        return Progress(label: label, total: total, unit: unit)
    }

    private init(label: String, total: Int64?, unit: String) {
        self.label = label
        self.total = total
        self.unit = unit
    }

    /// The total, once known.
    func setTotal(_ total: Int64) { self.total = total }

    /// `count` more done.
    func advance(by count: Int64) { update(done + count) }

    /// `done` in all.
    func update(_ done: Int64) {
        self.done = done
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        draw(now)
    }

    /// Draws the last state and ends the line.
    func finish() {
        draw(.now)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw(_ now: ContinuousClock.Instant) {
        let seconds = max(0.001, (now - start).timeInterval)
        let rate = Double(done) / seconds
        var line = "\(label) "
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "] "
            line += "\(Int(fraction * 100))% \(Self.count(done, unit))/\(Self.count(total, unit))"
            if rate > 0, done < total { line += "  ETA \(Self.duration(Double(total - done) / rate))" }
        } else {
            line += Self.count(done, unit)
        }
        line += "  \(Self.count(Int64(rate), unit))/s"
        StatusLine.draw(line)
        drawn = true
    }

    private static func count(_ value: Int64, _ unit: String) -> String {
        if unit == "B" {
            let units = ["B", "KiB", "MiB", "GiB", "TiB"]
            var size = Double(value)
            var index = 0
            while size >= 1024, index < units.count - 1 {
                size /= 1024
                index += 1
            }
            return index == 0 ? "\(value) B" : String(format: "%.1f %@", size, units[index])
        }
        return "\(value)\(unit)"
    }

    private static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        return total >= 3600
            ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}

/// The one line on a terminal's stderr that `Progress` and `Ticker` redraw in place.
enum StatusLine {
    /// Replaces the line with `text` (the cursor stays at its end).
    static func draw(_ text: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }
}

/// Long output through a pager when standard output is a terminal, as git and systemctl do: `$PAGER`, else
/// `less` (with `LESS=FRX`: it quits when the output fits one screen and keeps colours and the screen's
/// contents); `--no-pager`, a pipe, or no pager installed print directly.
struct Pager {
    private let pid: pid_t?

    /// Starts the pager for a command's output, when it should run.
    static func start(_ global: GlobalOptions, format: OutputFormat) -> Pager {
        guard !global.noPager, format == .table, isatty(STDOUT_FILENO) == 1 else { return Pager(pid: nil) }
        let environment = ProcessInfo.processInfo.environment
        let command = environment["PAGER"].flatMap { $0.isEmpty ? nil : $0 } ?? "less"
        guard command != "cat" else { return Pager(pid: nil) }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return Pager(pid: nil) }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var env = environment
        if env["LESS"] == nil { env["LESS"] = "FRX" }
        let argv = ["/bin/sh", "-c", command]
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArgs { free(pointer) }
            for pointer in cEnv { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, cArgs, cEnv)
        close(fds[0])
        guard spawned == 0 else {
            close(fds[1])
            return Pager(pid: nil)
        }
        fflush(nil)
        dup2(fds[1], STDOUT_FILENO)
        close(fds[1])
        return Pager(pid: pid)
    }

    /// Hands the pager the end of the output and waits for the user to quit it.
    func finish() {
        guard let pid else { return }
        fflush(nil)
        close(STDOUT_FILENO)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    }
}

/// A line on a terminal's stderr for one long request whose progress cannot be measured (an import, a purge):
/// the label, a spinner and the time elapsed, redrawn five times a second until the work is done.
final class Ticker: @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private var running = true
    private let start = ContinuousClock.now

    private init(label: String) { self.label = label }

    /// Runs `work` with a ticker shown (when stderr is a terminal and not `quiet`).
    static func during<T>(_ label: String, quiet: Bool, _ work: () throws -> T) throws -> T {
        guard !quiet, isatty(STDERR_FILENO) == 1 else { return try work() }
        let ticker = Ticker(label: label)
        FileHandle.standardError.write(Data("\(label) …".utf8))  // at once, however short the work
        let thread = Thread { ticker.loop() }
        thread.start()
        defer { ticker.stop() }
        return try work()
    }

    private func loop() {
        let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
        var frame = 0
        while true {
            lock.lock()
            let go = running
            if go {
                let seconds = (ContinuousClock.now - start).timeInterval
                StatusLine.draw("\(label) \(frames[frame % frames.count]) \(String(format: "%.1f", seconds)) s")
            }
            lock.unlock()
            guard go else { return }
            frame += 1
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    private func stop() {
        lock.lock()
        running = false
        StatusLine.draw("")
        lock.unlock()
    }
}
