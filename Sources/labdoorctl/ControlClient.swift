import Foundation
import LabDoorCore
import LabDoorProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A connection to labdoord's control socket, speaking `LabDoorProtocol`: each call sends one typed command and
/// decodes its typed result. Failures carry labdoorctl's exit status (DESIGN.md): 3 when the daemon cannot be
/// reached, 4 when the caller's groups do not allow the command, 2 for a bad request, 1 for a refusal.
final class ControlClient {
    /// The longest response line accepted (a listing of every holder of a large site fits).
    static let maximumResponse = 1 << 30

    private let channel: LineChannel
    private let socketPath: String
    private var nextID: Int64 = 1

    /// Connects to the daemon at `socketPath`.
    init(socketPath: String) throws(Failure) {
        self.socketPath = socketPath
        do {
            channel = LineChannel(fd: try UnixSocket.connect(socketPath))
        } catch {
            switch error.errno {
            case ENOENT, ECONNREFUSED:
                throw Failure(
                    "labdoord is not running at \(socketPath) (check: systemctl status labdoord; or pass --socket)",
                    exit: .unreachable)
            case EACCES:
                throw Failure(
                    "permission denied on \(socketPath): the socket's directory is not open to you", exit: .forbidden)
            default:
                throw Failure("cannot connect to labdoord: \(error)", exit: .unreachable)
            }
        }
    }

    /// Sends `command` and returns its result, or throws the daemon's error with its exit status.
    func call<C: ControlCommand>(_ command: C) throws(Failure) -> C.Result {
        try send(command)
        return try Self.decode(try receive(), C.self)
    }

    /// Sends a streaming command and hands every item to `onItem` until `until` says the stream is complete
    /// (never, by default: until the daemon ends it).
    func stream<C: ControlCommand>(
        _ command: C, onItem: (C.Result) -> Void, until: () -> Bool = { false }
    ) throws(Failure) {
        try send(command)
        while !until() { onItem(try Self.decode(try receive(), C.self)) }
    }

    private func send<C: ControlCommand>(_ command: C) throws(Failure) {
        let id = nextID
        nextID += 1
        let request: JSONValue
        do {
            request = try ControlEnvelope.request(command, id: id)
        } catch {
            throw Failure("cannot encode the request: \(error)", exit: .usage)
        }
        if !channel.send(request) {
            // The daemon may have answered before closing (busy, forbidden, too large): that answer is the
            // message, not "closed the connection".
            let response = try receive()
            _ = try Self.decode(response, C.self)
            throw Failure("labdoord closed the connection at \(socketPath)", exit: .unreachable)
        }
    }

    private func receive() throws(Failure) -> JSONValue {
        switch channel.receiveLine(limit: Self.maximumResponse) {
        case .line(let bytes):
            do {
                return try JSONValue.parse(utf8: bytes, maximumDepth: 64)
            } catch {
                throw Failure("labdoord sent something that is not JSON: \(error.description)", exit: .refused)
            }
        case .tooLong:
            throw Failure("labdoord's answer is longer than \(Self.maximumResponse) bytes", exit: .refused)
        case .closed, .timedOut:
            throw Failure("labdoord closed the connection without answering", exit: .unreachable)
        }
    }

    private static func decode<C: ControlCommand>(_ response: JSONValue, _: C.Type) throws(Failure) -> C.Result {
        do {
            return try ControlEnvelope.result(of: response, for: C.self)
        } catch {
            throw Failure(error.message, exit: ExitStatus(error.code))
        }
    }
}

extension ExitStatus {
    /// labdoorctl's exit status for a daemon error code.
    init(_ code: ControlError.Code) {
        switch code {
        case .forbidden: self = .forbidden
        case .badRequest, .badVersion, .unknownCommand, .tooLarge: self = .usage
        case .busy, .timeout, .stopping, .unidentified: self = .unreachable
        default: self = .refused
        }
    }
}

/// Parses "90", "90s", "15m", "2h" into seconds.
func parseDuration(_ text: String) -> Int64? {
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600]
    if let last = text.last, let unit = units[last] { return Int64(text.dropLast()).map { $0 * unit } }
    return Int64(text)
}
