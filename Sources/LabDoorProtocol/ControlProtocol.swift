public import LabDoorCore

/// The control protocol between `labdoord` and `labdoorctl` (docs/control.md): newline-delimited JSON over a
/// Unix stream socket, one request and one response per line, inside a versioned envelope:
///
/// ```
/// {"v":2,"id":1,"cmd":"door.unlock","args":{"for":60}}
/// {"v":2,"id":1,"ok":true,"result":{…}}
/// {"v":2,"id":2,"ok":false,"error":{"code":"forbidden","message":"…"}}
/// ```
public enum ControlProtocol {
    /// The version this build speaks. Version 1 (LabDoor before the typed protocol) had the same envelope but
    /// untyped arguments; a request of another version gets `bad_version` saying which side to upgrade.
    public static let version: Int64 = 2
    /// The longest request line, in bytes.
    public static let maximumRequest = 64 * 1024
    /// The longest request line from an admin caller, in bytes: a registration file travels in one request.
    public static let maximumAdminRequest = 64 * 1024 * 1024
    /// The default socket path on a device.
    public static let defaultSocket = "/run/labdoor/control.sock"

    /// The `bad_version` error for a peer (`peerName`) speaking `version` (nil: it sent none), said by
    /// `localName`: the side with the older version is the one to upgrade.
    public static func versionMismatch(peer version: Int64?, peerName: String, localName: String) -> ControlError {
        let peerSays = version.map { "speaks protocol version \($0)" } ?? "sent no protocol version"
        let upgrade = (version ?? 0) < Self.version ? peerName : localName
        return ControlError(
            .badVersion,
            "\(peerName) \(peerSays), this \(localName) speaks version \(Self.version): upgrade \(upgrade) so that both are the same LabDoor release"
        )
    }
}

/// Who may send a command: every command type names the least role it needs.
public enum ControlRole: Int, Comparable, Hashable, Sendable, CustomStringConvertible {
    /// In neither LabDoor group: may do nothing.
    case none = 0
    /// In `labdoor-audit`: may read status and the log.
    case audit = 1
    /// Root or in `labdoor-admin`: may change the door and its data.
    case admin = 2

    /// The group whose members may manage the door.
    public static let adminGroup = "labdoor-admin"
    /// The group whose members may read and verify the log.
    public static let auditGroup = "labdoor-audit"

    /// Orders roles by what they allow.
    public static func < (a: ControlRole, b: ControlRole) -> Bool { a.rawValue < b.rawValue }

    /// The role's name in docs/control.md.
    public var description: String {
        switch self {
        case .none: "none"
        case .audit: "audit"
        case .admin: "admin"
        }
    }
}

/// A control request refused or failed, with a stable code and a message that says what to do.
public struct ControlError: Error, Hashable, Sendable, CustomStringConvertible, Codable {
    /// The stable error code (docs/control.md). Open: a newer daemon may send codes this build does not know.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The code as sent.
        public let rawValue: String
        /// Wraps a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code as sent.
        public var description: String { rawValue }

        /// Decodes the code from its string.
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        /// Encodes the code as its string.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        /// The request is malformed or its arguments are wrong.
        public static let badRequest = Code(rawValue: "bad_request")
        /// The peer speaks another protocol version.
        public static let badVersion = Code(rawValue: "bad_version")
        /// The request line is longer than allowed.
        public static let tooLarge = Code(rawValue: "too_large")
        /// The caller's groups do not allow the command.
        public static let forbidden = Code(rawValue: "forbidden")
        /// No such command.
        public static let unknownCommand = Code(rawValue: "unknown_command")
        /// The store refused the change (e.g. a badge already assigned, a holder not found, the disk full).
        public static let refused = Code(rawValue: "refused")
        /// Too many connections.
        public static let busy = Code(rawValue: "busy")
        /// The daemon did not answer in time.
        public static let timeout = Code(rawValue: "timeout")
        /// The daemon is stopping.
        public static let stopping = Code(rawValue: "stopping")
        /// The kernel did not identify the caller.
        public static let unidentified = Code(rawValue: "unidentified")
        /// The daemon could not carry out a valid request (its message says why).
        public static let failed = Code(rawValue: "failed")
    }

    /// The code.
    public let code: Code
    /// What happened and what to do.
    public let message: String

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// One control command: its name on the wire, the role it needs, its arguments (the type's stored properties)
/// and its result.
///
/// A command's name is spelled once, here in LabDoorProtocol; the daemon dispatches on the type and
/// `labdoorctl` sends the type, so the two cannot drift apart.
public protocol ControlCommand: Codable, Hashable, Sendable {
    /// What the daemon answers (for a streaming command: each streamed item).
    associatedtype Result: Codable, Sendable
    /// The name on the wire (`"door.unlock"`).
    static var name: String { get }
    /// The least role that may send it.
    static var role: ControlRole { get }
}

extension ControlCommand {
    /// The role check: throws `forbidden`, naming the group to join, when `role` may not send this command.
    public static func authorize(_ role: ControlRole, user: String) throws(ControlError) {
        guard role < Self.role else { return }
        switch role {
        case .none:
            throw ControlError(
                .forbidden,
                "permission denied: \(user) is in neither \(ControlRole.adminGroup) (may change) nor \(ControlRole.auditGroup) (may read); ask an administrator to add you to one of them"
            )
        case .audit, .admin:
            throw ControlError(
                .forbidden,
                "permission denied: \(name) changes the door or its data; \(user) may only read (add them to \(ControlRole.adminGroup))"
            )
        }
    }
}

/// The envelope of a request, as the daemon reads it before it knows the command's type.
public struct RequestHeader: Sendable {
    /// The request id, echoed in the response (any JSON value the client chose; null when absent).
    public let id: JSONValue
    /// The command name.
    public let command: String
    /// The arguments object (empty when absent).
    public let arguments: JSONValue

    /// Reads the envelope of a parsed request line: checks `v` first, so that a client of another version
    /// always learns that, whatever else is wrong.
    public init(parsing request: JSONValue) throws(ControlError) {
        guard case .object = request else {
            throw ControlError(.badRequest, "a request must be a JSON object {\"v\":…,\"cmd\":…}")
        }
        let version = request["v"]?.intValue
        guard version == ControlProtocol.version else {
            throw ControlProtocol.versionMismatch(peer: version, peerName: "labdoorctl", localName: "labdoord")
        }
        id = request["id"] ?? .null
        guard let command = request["cmd"]?.stringValue, !command.isEmpty else {
            throw ControlError(.badRequest, "a request needs \"cmd\", the command name (a string)")
        }
        self.command = command
        let arguments = request["args"] ?? .object([])
        guard case .object = arguments else {
            throw ControlError(.badRequest, "\"args\" must be an object, not \(arguments)")
        }
        self.arguments = arguments
    }
}

/// Builds and reads envelopes.
public enum ControlEnvelope {
    /// A request line for `command`.
    public static func request<C: ControlCommand>(_ command: C, id: Int64) throws -> JSONValue {
        .object([
            ("v", .int(ControlProtocol.version)), ("id", .int(id)), ("cmd", .string(C.name)),
            ("args", try ControlEncoder().encode(command)),
        ])
    }

    /// A success response carrying `result`.
    public static func success(id: JSONValue, result: JSONValue) -> JSONValue {
        .object([("v", .int(ControlProtocol.version)), ("id", id), ("ok", .bool(true)), ("result", result)])
    }

    /// An error response.
    public static func failure(id: JSONValue, _ error: ControlError) -> JSONValue {
        .object([
            ("v", .int(ControlProtocol.version)), ("id", id), ("ok", .bool(false)),
            ("error", .object([("code", .string(error.code.rawValue)), ("message", .string(error.message))])),
        ])
    }

    /// The result of a response to `C`, or the daemon's error (including a version mismatch).
    public static func result<C: ControlCommand>(
        of response: JSONValue, for _: C.Type
    ) throws(ControlError)
        -> C.Result
    {
        let version = response["v"]?.intValue
        guard version == ControlProtocol.version else {
            // A daemon of another version: its own message may say the opposite, so say it from this side.
            throw ControlProtocol.versionMismatch(peer: version, peerName: "labdoord", localName: "labdoorctl")
        }
        guard response["ok"]?.boolValue == true else {
            let error = response["error"]
            throw ControlError(
                ControlError.Code(rawValue: error?["code"]?.stringValue ?? "failed"),
                error?["message"]?.stringValue ?? "labdoord refused the request without saying why")
        }
        do {
            return try ControlDecoder().decode(C.Result.self, from: response["result"] ?? .null)
        } catch {
            throw ControlError(
                .badRequest,
                "labdoord's answer to \(C.name) is not what this labdoorctl expects (\(ControlDecoder.describe(error, root: "result")))"
            )
        }
    }

    /// Decodes a command's arguments, or throws `bad_request` naming the argument that is wrong.
    public static func arguments<C: ControlCommand>(_ arguments: JSONValue, as _: C.Type) throws(ControlError) -> C {
        do {
            return try ControlDecoder().decode(C.self, from: arguments)
        } catch {
            throw ControlError(.badRequest, "\(C.name): \(ControlDecoder.describe(error, root: "args"))")
        }
    }
}
