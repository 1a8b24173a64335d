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
/// One thread accepts; each client gets its own thread with a receive timeout, so a slow or silent client
/// costs a thread for at most `idleTimeoutSeconds` and never delays the door or other clients. Requests are at
/// most `ControlProtocol.maximumRequest` bytes; at most `maximumClients` connections are served at once.
final class ControlServer: Sendable {
    static let maximumClients = 32
    static let idleTimeoutSeconds = 5

    /// Handles one request on the client's thread; returns false to close the connection.
    typealias Handler = @Sendable (_ request: JSONValue, _ caller: Caller, _ channel: LineChannel) -> Bool

    let path: String
    let logger: Logger
    private let listener: Int32
    private let clients = Mutex(0)

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
            let admitted = clients.withLock { count -> Bool in
                guard count < Self.maximumClients else { return false }
                count += 1
                return true
            }
            guard admitted else {
                let channel = LineChannel(fd: fd)
                channel.send(ControlEnvelope.failure(id: .null, ControlError(.busy, "too many connections; try again")))
                channel.close()
                continue
            }
            let thread = Thread { [self] in
                defer { clients.withLock { $0 -= 1 } }
                serve(LineChannel(fd: fd), handler)
            }
            thread.name = "labdoord.control.client"
            thread.start()
        }
    }

    private func serve(_ channel: LineChannel, _ handler: Handler) {
        defer { channel.close() }
        guard let caller = Caller.identify(channel.fd) else {
            channel.send(
                ControlEnvelope.failure(
                    id: .null, ControlError(.unidentified, "the kernel did not identify the caller")))
            return
        }
        channel.setTimeouts(seconds: Self.idleTimeoutSeconds)
        while true {
            let line: [UInt8]
            switch channel.receiveLine(limit: ControlProtocol.maximumRequest) {
            case .line(let bytes): line = bytes
            case .tooLong:
                channel.send(
                    ControlEnvelope.failure(
                        id: .null,
                        ControlError(.tooLarge, "a request must be at most \(ControlProtocol.maximumRequest) bytes")))
                return
            case .closed, .timedOut:
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
