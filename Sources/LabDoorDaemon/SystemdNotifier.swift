import CLabDoorSystem
import Foundation

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
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        send("RELOADING=1\nMONOTONIC_USEC=\(Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)")
    }

    /// Sends one datagram; failures are ignored (systemd may be gone at shutdown).
    func send(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        var length = socklen_t(0)
        guard labdoor_sys_unix_address(socketPath, &address, &length) == 0 else { return }
        let payload = Array(message.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
    }
}
