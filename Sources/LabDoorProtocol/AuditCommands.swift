public import LabDoorCore

/// `audit.pubkey`: the public key that verifies the site's checkpoints and anchor, and the purge anchor.
public struct AuditPubkeyCommand: ControlCommand {
    /// The result.
    public typealias Result = AuditKeys
    /// The wire name.
    public static let name = "audit.pubkey"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// The command.
    public init() {}
}

/// The log's public key (`labdoor-pubkey-v1 ed25519 …`) and its purge anchor, if a purge left one.
public struct AuditKeys: Codable, Hashable, Sendable {
    /// The public key's text form.
    public var publicKey: String
    /// The purge anchor, or nil.
    public var anchor: AnchorInfo?

    /// Creates the value.
    public init(publicKey: String, anchor: AnchorInfo?) {
        self.publicKey = publicKey
        self.anchor = anchor
    }

    enum CodingKeys: String, CodingKey {
        case publicKey = "public_key"
        case anchor
    }
}

/// A purge anchor, as `audit export` writes it: `{"seq","hash","time","key","signature"}` (signature base64).
public struct AnchorInfo: Codable, Hashable, Sendable {
    /// The last purged event.
    public var seq: Int64
    /// Its hash.
    public var hash: String
    /// When the purge happened (the log's UTC text).
    public var time: String
    /// The signing key's id.
    public var key: String
    /// The signature, base64.
    public var signature: String

    /// Creates the value.
    public init(seq: Int64, hash: String, time: String, key: String, signature: String) {
        self.seq = seq
        self.hash = hash
        self.time = time
        self.key = key
        self.signature = signature
    }
}

/// `audit.checkpoint`: the latest signed checkpoint (`labdoor-checkpoint-v1 …`), or null when the log is empty.
public struct AuditCheckpointCommand: ControlCommand {
    /// The result.
    public typealias Result = CheckpointText
    /// The wire name.
    public static let name = "audit.checkpoint"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// The command.
    public init() {}
}

/// `{"checkpoint":"labdoor-checkpoint-v1 …"}` or `{"checkpoint":null}`.
public struct CheckpointText: Codable, Hashable, Sendable {
    /// The checkpoint's text form.
    public var checkpoint: String?

    /// Creates the value.
    public init(checkpoint: String?) { self.checkpoint = checkpoint }
}

/// `audit.checkpoints`: a page of the signed checkpoints in seq order, each in its text form; `after` is a seq.
public struct AuditCheckpointsCommand: PagedCommand {
    /// The result.
    public typealias Result = Page<String>
    /// The wire name.
    public static let name = "audit.checkpoints"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// Start after this seq.
    public var after: Int64?
    /// Page size.
    public var limit: Int64?

    /// The command.
    public init(after: Int64? = nil, limit: Int64? = nil) {
        self.after = after
        self.limit = limit
    }
}

/// `audit.snapshot`: a consistent copy of the database, made by the daemon (SQLite's online backup) in its state
/// directory and streamed: `{"start":{"bytes"}}`, then `{"chunk":"<base64>"}` items in order, then
/// `{"end":{"bytes","sha256"}}`. The copy is deleted when the stream ends.
public struct AuditSnapshotCommand: ControlCommand {
    /// The result.
    public typealias Result = SnapshotItem
    /// The wire name.
    public static let name = "audit.snapshot"
    /// Readers may ask: the copy holds what `events` and `holder show` show them anyway.
    public static let role = ControlRole.audit

    /// The command.
    public init() {}
}

/// One item of an `audit.snapshot` stream.
public enum SnapshotItem: Codable, Hashable, Sendable {
    /// The copy is made; it has `bytes` bytes.
    case start(bytes: Int64)
    /// The next bytes of the copy, base64.
    case chunk(String)
    /// All sent: `bytes` in all, their SHA-256 (hex).
    case end(bytes: Int64, sha256: String)

    enum CodingKeys: String, CodingKey { case start, chunk, end }
    enum SizeKeys: String, CodingKey { case bytes, sha256 }

    /// `{"start":{"bytes":…}}`, `{"chunk":"…"}` or `{"end":{"bytes":…,"sha256":"…"}}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .start(let bytes):
            var nested = container.nestedContainer(keyedBy: SizeKeys.self, forKey: .start)
            try nested.encode(bytes, forKey: .bytes)
        case .chunk(let data):
            try container.encode(data, forKey: .chunk)
        case .end(let bytes, let sha256):
            var nested = container.nestedContainer(keyedBy: SizeKeys.self, forKey: .end)
            try nested.encode(bytes, forKey: .bytes)
            try nested.encode(sha256, forKey: .sha256)
        }
    }

    /// Reads any of the three forms.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let chunk = try container.decodeIfPresent(String.self, forKey: .chunk) {
            self = .chunk(chunk)
        } else if container.contains(.start) {
            let nested = try container.nestedContainer(keyedBy: SizeKeys.self, forKey: .start)
            self = .start(bytes: try nested.decode(Int64.self, forKey: .bytes))
        } else if container.contains(.end) {
            let nested = try container.nestedContainer(keyedBy: SizeKeys.self, forKey: .end)
            self = .end(
                bytes: try nested.decode(Int64.self, forKey: .bytes),
                sha256: try nested.decode(String.self, forKey: .sha256))
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: container.codingPath, debugDescription: "neither start, chunk nor end"))
        }
    }
}

/// `report`: the Lab's use over `[from, to]` (dates in the site zone, both included; default: the last 30 days):
/// entries per day, a weekday × hour heat map, denials by reason, busiest hours, door alarms, readers.
public struct ReportCommand: ControlCommand {
    /// The result.
    public typealias Result = UsageReport
    /// The wire name.
    public static let name = "report"
    /// Readers may ask.
    public static let role = ControlRole.audit

    /// The first day (`YYYY-MM-DD`).
    public var from: String?
    /// The last day, included.
    public var to: String?

    /// The command.
    public init(from: String? = nil, to: String? = nil) {
        self.from = from
        self.to = to
    }
}
