import CLabDoorSystem
import Foundation
import LabDoorCore
import LabDoorProtocol
import Logging
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The control socket's transport: accepts connections, identifies each caller from the kernel, and reads
/// newline-delimited JSON requests (docs/control.md), handing each parsed request to `handler`.
///
/// One thread accepts and identifies the caller there (the kernel's credentials), so that `ControlAdmission` can
/// give out slots by who asks: a local user cannot fill them all, and staff always get in. Each admitted client
/// gets its own thread; each request must arrive whole within `requestTimeout` (a byte now and then does not
/// keep a slot), so a slow or silent client costs a thread for a bounded time and never delays the door or
/// other clients. Requests are at most `ControlProtocol.maximumRequest` bytes.
final class ControlServer: Sendable {
    /// How long a request may take to arrive, from the end of the previous one (or the connect).
    static let requestTimeout: Duration = .seconds(5)
    /// The same for callers in no LabDoor group, who are only told so.
    static let refusalTimeout: Duration = .seconds(1)
    /// How long a response may take to leave.
    static let sendTimeoutSeconds = 5

    /// Handles one request on the client's thread; returns false to close the connection.
    typealias Handler = @Sendable (_ request: JSONValue, _ caller: Caller, _ channel: LineChannel) -> Bool

    let path: String
    let logger: Logger
    private let listener: Int32
    private let admission = Mutex(ControlAdmission())

    /// Binds the socket at `path` (replacing a stale socket, never another kind of file), mode 0666: everyone
    /// may connect and is then told what they may do.
    init(path: String, logger: Logger) throws(DaemonStartError) {
        self.path = path
        self.logger = logger
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw DaemonStartError("\(path) exists and is not a socket; remove it or set [paths] socket")
            }
            unlink(path)
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            } catch {
                throw DaemonStartError("cannot create the socket's directory \(directory): \(error)")
            }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonStartError(SystemCallError("socket", path: path, errno: errno)) }
        var code: Int32 = 0
        let bound: Bool
        do {
            bound = try UnixSocket.withAddress(path) { address, length -> Bool in
                let ok = bind(fd, address, length) == 0
                code = errno
                return ok
            }
        } catch {
            close(fd)
            throw DaemonStartError("cannot listen on \(path): \(error)")
        }
        // errno is read on the line after each call, so the error names the call that failed.
        guard bound else {
            close(fd)
            throw DaemonStartError(SystemCallError("bind", path: path, errno: code))
        }
        guard chmod(path, 0o666) == 0 else {
            code = errno
            close(fd)
            throw DaemonStartError(SystemCallError("chmod", path: path, errno: code))
        }
        guard listen(fd, 64) == 0 else {
            code = errno
            close(fd)
            throw DaemonStartError(SystemCallError("listen", path: path, errno: code))
        }
        listener = fd
    }

    /// Starts accepting on a dedicated thread.
    func start(handler: @escaping Handler) {
        let thread = Thread { [self] in acceptLoop(handler) }
        thread.name = "labdoord.control"
        thread.start()
    }

    /// Stops accepting and removes the socket file.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        unlink(path)
    }

    private func acceptLoop(_ handler: @escaping Handler) {
        while true {
            let fd = labdoor_sys_accept_cloexec(listener)
            if fd < 0 {
                let code = errno
                if code == EINTR || code == ECONNABORTED { continue }
                if code == EMFILE || code == ENFILE {
                    logger.error(
                        "out of file descriptors; control clients wait", metadata: ["error": "\(Errno(rawValue: code))"]
                    )
                    usleep(100_000)
                    continue
                }
                return  // the listener was closed
            }
            guard let caller = Caller.identify(fd) else {
                let channel = LineChannel(fd: fd)
                channel.send(
                    ControlEnvelope.failure(
                        id: .null, ControlError(.unidentified, "the kernel did not identify the caller")))
                channel.close()
                continue
            }
            if let busy = admission.withLock({ $0.admit(uid: caller.uid, role: caller.role) }) {
                logger.notice(
                    "control connection refused", metadata: ["caller.uid": "\(caller.uid)", "reason": "\(busy)"])
                let channel = LineChannel(fd: fd)
                channel.send(ControlEnvelope.failure(id: .null, ControlError(.busy, busy)))
                channel.close()
                continue
            }
            let thread = Thread { [self] in
                defer { admission.withLock { $0.release(uid: caller.uid, role: caller.role) } }
                serve(LineChannel(fd: fd), caller, handler)
            }
            thread.name = "labdoord.control.client"
            thread.start()
        }
    }

    private func serve(_ channel: LineChannel, _ caller: Caller, _ handler: Handler) {
        defer { channel.close() }
        var timeout = timeval(tv_sec: Self.sendTimeoutSeconds, tv_usec: 0)
        setsockopt(channel.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let patience = caller.role == .none ? Self.refusalTimeout : Self.requestTimeout
        while true {
            let line: [UInt8]
            // Staff send registration files in one request; anyone else's requests are small.
            let limit = caller.role == .admin ? ControlProtocol.maximumAdminRequest : ControlProtocol.maximumRequest
            switch channel.receiveLine(limit: limit, timeout: patience) {
            case .line(let bytes): line = bytes
            case .tooLong:
                channel.send(
                    ControlEnvelope.failure(
                        id: .null, ControlError(.tooLarge, "a request must be at most \(limit) bytes")))
                return
            case .closed:
                return
            case .timedOut:
                channel.send(
                    ControlEnvelope.failure(
                        id: .null,
                        ControlError(
                            .timeout,
                            "a request must arrive whole within \(patience.components.seconds) s; the connection is closed"
                        )))
                return
            }
            guard let text = String(validating: line, as: UTF8.self) else {
                channel.send(
                    ControlEnvelope.failure(id: .null, ControlError(.badRequest, "a request must be UTF-8 JSON")))
                return
            }
            let request: JSONValue
            do {
                request = try JSONValue.parse(text)
            } catch {
                channel.send(
                    ControlEnvelope.failure(id: .null, ControlError(.badRequest, "not JSON: \(error.description)")))
                return
            }
            guard handler(request, caller, channel) else { return }
        }
    }
}
