public import Foundation
public import LabDoorCore

/// An Ed25519-signed statement that the log's event `seq` has hash `hash`.
public struct Checkpoint: Hashable, Sendable, CustomStringConvertible {
    /// The last event covered.
    public let seq: Int64
    /// That event's hash.
    public let hash: String
    /// When it was signed (UTC text).
    public let time: String
    /// Why.
    public let kind: CheckpointKind
    /// The signing key's id (`LogPublicKey.keyID`).
    public let keyID: String
    /// The signature over the canonical payload.
    public let signature: Data

    /// Creates a checkpoint value.
    public init(seq: Int64, hash: String, time: String, kind: CheckpointKind, keyID: String, signature: Data) {
        self.seq = seq
        self.hash = hash
        self.time = time
        self.kind = kind
        self.keyID = keyID
        self.signature = signature
    }

    /// The text form an auditor keeps off the device:
    /// `labdoor-checkpoint-v1 seq=150 hash=… time=… kind=periodic key=… sig=…`.
    public var description: String {
        "labdoor-checkpoint-v1 seq=\(seq) hash=\(hash) time=\(time) kind=\(kind.rawValue) key=\(keyID) sig=\(signature.base64EncodedString())"
    }

    /// Parses the text form; nil when malformed.
    public init?(text: String) {
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.first == "labdoor-checkpoint-v1" else { return nil }
        var fields: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "=") else { return nil }
            fields[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        guard let seqText = fields["seq"], let seq = Int64(seqText), let hash = fields["hash"], hash.count == 64,
            let time = fields["time"], let kindText = fields["kind"], let kind = CheckpointKind(rawValue: kindText),
            let keyID = fields["key"], let sigText = fields["sig"], let signature = Data(base64Encoded: sigText)
        else { return nil }
        self.init(seq: seq, hash: hash, time: time, kind: kind, keyID: keyID, signature: signature)
    }

    var payload: Data {
        CanonicalEncoding.checkpointPayload(seq: seq, hash: hash, time: time, kind: kind.rawValue, keyID: keyID)
    }
}

/// The signed record a purge leaves: the last purged event's seq and hash, so the remaining log still verifies.
public struct PurgeAnchor: Hashable, Sendable {
    /// The last purged event.
    public let seq: Int64
    /// Its hash: the `prev_hash` of the first remaining event.
    public let hash: String
    /// When the purge happened (UTC text).
    public let time: String
    /// The signing key's id.
    public let keyID: String
    /// The signature over the canonical payload.
    public let signature: Data

    var payload: Data { CanonicalEncoding.anchorPayload(seq: seq, hash: hash, time: time, keyID: keyID) }
}
