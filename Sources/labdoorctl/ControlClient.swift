import CLabDoorSystem
import Foundation
import LabDoorCore

#if canImport(Glibc)
    import Glibc
#endif

/// A connection to labdoord's control socket (newline-delimited JSON, protocol version 1).
final class ControlClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID: Int64 = 1

    init(socketPath: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(message: "cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        var length = socklen_t(0)
        guard labdoor_sys_unix_address(socketPath, &address, &length) == 0 else {
            close(fd)
            throw Failure(message: "the socket path \(socketPath) is too long")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            switch code {
            case ENOENT, ECONNREFUSED:
                throw Failure(
                    message:
                        "labdoord is not running at \(socketPath) (check: systemctl status labdoord; or pass --socket)")
            case EACCES:
                throw Failure(message: "permission denied on \(socketPath)")
            default:
                throw Failure(message: "cannot connect to \(socketPath): \(String(cString: strerror(code)))")
            }
        }
        self.fd = fd
    }

    deinit { close(fd) }

    private func send(_ command: String, _ args: [(String, JSONValue)]) throws -> Int64 {
        let id = nextID
        nextID += 1
        let request = JSONValue.object([
            ("v", .int(1)), ("id", .int(id)), ("cmd", .string(command)), ("args", .object(args)),
        ])
        let bytes = Array((request.description + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(message: "labdoord closed the connection") }
            offset += n
        }
        return id
    }

    private func readResponse() throws -> JSONValue {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                do {
                    return try JSONValue.parse(line)
                } catch {
                    throw Failure(message: "labdoord sent something that is not JSON: \(error.description)")
                }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(message: "labdoord closed the connection without answering") }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Sends a request and returns its result, or throws the daemon's error message.
    func call(_ command: String, _ args: [(String, JSONValue)] = []) throws -> JSONValue {
        _ = try send(command, args)
        let response = try readResponse()
        if response["ok"]?.boolValue == true { return response["result"] ?? .null }
        throw Failure(message: response["error"]?["message"]?.stringValue ?? "labdoord refused the request")
    }

    /// Sends a streaming request and hands every event to `onEvent` until the connection ends.
    func stream(_ command: String, _ args: [(String, JSONValue)], onEvent: (JSONValue) -> Void) throws {
        _ = try send(command, args)
        while true {
            let response = try readResponse()
            guard response["ok"]?.boolValue == true else {
                throw Failure(message: response["error"]?["message"]?.stringValue ?? "labdoord refused the request")
            }
            if let event = response["event"] { onEvent(event) }
        }
    }
}

/// Parses "90", "90s", "15m", "2h" into seconds.
func parseDuration(_ text: String) -> Int64? {
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600]
    if let last = text.last, let unit = units[last] { return Int64(text.dropLast()).map { $0 * unit } }
    return Int64(text)
}
