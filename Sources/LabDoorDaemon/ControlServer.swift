import CLabDoorSystem
import Foundation
import LabDoorCore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The control socket: newline-delimited JSON requests and responses (protocol version 1, docs/control.md).
///
/// One thread accepts; each client gets its own thread with a receive timeout, so a slow or silent client
/// costs a thread for at most `idleTimeout` and never delays the door or other clients. Requests are at most
/// `maximumRequest` bytes; at most `maximumClients` connections are served at once.
final class ControlServer: Sendable {
    static let protocolVersion: Int64 = 1
    static let maximumRequest = 64 * 1024
    static let maximumClients = 32
    static let idleTimeoutSeconds = 5

    typealias Handler = @Sendable (_ request: JSONValue, _ caller: Caller, _ connection: Connection) -> JSONValue?

    let path: String
    let logger: Logger
    private let listener: Int32
    private let clients = NSLock()
    nonisolated(unsafe) private var clientCount = 0

    /// Binds the socket at `path` (replacing a stale socket, never another kind of file), mode 0666: everyone
    /// may connect and is then told what they may do.
    init(path: String, logger: Logger) throws {
        self.path = path
        self.logger = logger
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw ReaderError(message: "\(path) exists and is not a socket; remove it or set [paths] socket")
            }
            unlink(path)
        }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw ReaderError(message: "cannot create the control socket: \(String(cString: strerror(errno)))")
        }
        var address = sockaddr_un()
        var length = socklen_t(0)
        guard labdoor_sys_unix_address(path, &address, &length) == 0 else {
            close(fd)
            throw ReaderError(message: "the socket path \(path) is too long (at most 107 bytes)")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, chmod(path, 0o666) == 0, listen(fd, 64) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ReaderError(message: "cannot listen on \(path): \(message)")
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
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                    if errno == EMFILE || errno == ENFILE { usleep(100_000) }
                    continue
                }
                return  // the listener was closed
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // accept4 needs _GNU_SOURCE; the daemon spawns only alarm hooks
            let admitted = clients.withLock { () -> Bool in
                guard clientCount < Self.maximumClients else { return false }
                clientCount += 1
                return true
            }
            let connection = Connection(fd: fd)
            guard admitted else {
                connection.send(Self.error(id: .null, code: "busy", message: "too many connections; try again"))
                connection.close()
                continue
            }
            let thread = Thread { [self] in
                defer { clients.withLock { clientCount -= 1 } }
                serve(connection, handler)
            }
            thread.name = "labdoord.control.client"
            thread.start()
        }
    }

    private func serve(_ connection: Connection, _ handler: Handler) {
        defer { connection.close() }
        guard let caller = Caller.identify(connection.fd) else {
            connection.send(
                Self.error(id: .null, code: "unidentified", message: "the kernel did not identify the caller"))
            return
        }
        var timeout = timeval(tv_sec: Self.idleTimeoutSeconds, tv_usec: 0)
        setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while true {
            let line: [UInt8]
            switch connection.readLine(limit: Self.maximumRequest) {
            case .line(let bytes): line = bytes
            case .tooLong:
                connection.send(
                    Self.error(
                        id: .null, code: "too_large", message: "a request must be at most \(Self.maximumRequest) bytes")
                )
                return
            case .closed, .timedOut:
                return
            }
            guard let text = String(validating: line, as: UTF8.self) else {
                connection.send(Self.error(id: .null, code: "bad_request", message: "a request must be UTF-8 JSON"))
                return
            }
            let request: JSONValue
            do {
                request = try JSONValue.parse(text)
            } catch {
                connection.send(Self.error(id: .null, code: "bad_request", message: "not JSON: \(error.description)"))
                return
            }
            let id = request["id"] ?? .null
            guard request["v"]?.intValue == Self.protocolVersion else {
                connection.send(
                    Self.error(
                        id: id, code: "bad_version",
                        message: "this daemon speaks protocol version \(Self.protocolVersion); upgrade labdoorctl"))
                return
            }
            guard caller.role > .none else {
                logger.notice(
                    "control request refused",
                    metadata: ["caller.user": "\(caller.user)", "caller.uid": "\(caller.uid)"])
                connection.send(
                    Self.error(
                        id: id, code: "forbidden",
                        message:
                            "permission denied: \(caller.user) is in neither \(Caller.adminGroup) (may change) nor \(Caller.auditGroup) (may read); ask an administrator to add you to one of them"
                    ))
                return
            }
            if let response = handler(request, caller, connection) {
                guard connection.send(response) else { return }
            }
        }
    }

    static func error(id: JSONValue, code: String, message: String) -> JSONValue {
        .object([
            ("v", .int(protocolVersion)), ("id", id), ("ok", .bool(false)),
            ("error", .object([("code", .string(code)), ("message", .string(message))])),
        ])
    }

    static func success(id: JSONValue, _ result: JSONValue) -> JSONValue {
        .object([("v", .int(protocolVersion)), ("id", id), ("ok", .bool(true)), ("result", result)])
    }
}

/// One client connection (blocking I/O on its own thread).
final class Connection: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    init(fd: Int32) { self.fd = fd }

    enum ReadResult {
        case line([UInt8])
        case tooLong
        case closed
        case timedOut
    }

    func readLine(limit: Int) -> ReadResult {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line.count > limit ? .tooLong : .line(line)
            }
            if buffer.count > limit { return .tooLong }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .timedOut : .closed
            }
            if n == 0 { return .closed }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Sends one JSON line; false when the peer is gone.
    @discardableResult
    func send(_ value: JSONValue) -> Bool {
        var bytes = Array(value.description.utf8)
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}
