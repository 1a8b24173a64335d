// CLabDoorSystem for <sys/socket.h>: Glibc's module alone does not show SOCK_DGRAM and SOCK_CLOEXEC to a
// whole-module (release) build.
import CLabDoorSystem
import Foundation
import LabDoorProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Talks to systemd over `$NOTIFY_SOCKET` (sd_notify(3) protocol, in Swift): readiness, status, watchdog
/// pings, stopping. Does nothing when not started by systemd with `Type=notify`.
struct SystemdNotifier: Sendable {
    private let socketPath: String?
    /// The watchdog interval systemd expects pings within (`$WATCHDOG_USEC`), if enabled for this process.
    let watchdogInterval: Duration?

    /// Reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID` from the environment.
    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true
        {
            watchdogInterval = .microseconds(usec)
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends `READY=1` with a status line.
    func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    /// Sends a status line.
    func status(_ text: String) { send("STATUS=\(text)") }
    /// Sends a watchdog ping; call it from the decision loop so that a wedged loop stops the pings.
    func watchdog() { send("WATCHDOG=1") }
    /// Sends `STOPPING=1`.
    func stopping() { send("STOPPING=1") }
    /// Sends `RELOADING=1` with the monotonic time, then the caller sends `ready` again.
    func reloading() {
        let microseconds = SystemClock.monotonicNanoseconds() / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
    }

    /// Sends one datagram; failures are ignored (systemd may be gone at shutdown).
    func send(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let payload = Array(message.utf8)
        _ = try? UnixSocket.withAddress(socketPath) { address, length in
            payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
        }
    }
}
