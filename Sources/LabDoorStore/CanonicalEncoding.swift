import Crypto
import Foundation
import GRDB

/// The canonical byte encoding that event hashes and checkpoint signatures cover. Documented for auditors in
/// docs/audit.md; an independent implementation must produce the same bytes.
///
/// A record is a tag (`LDE1` event, `LDC1` checkpoint, `LDA1` purge anchor) followed by its fields in a fixed
/// order, each encoded by its SQLite storage class:
/// - NULL: `~`
/// - INTEGER: `i` + decimal digits (with `-` when negative) + `;`
/// - TEXT: `s` + UTF-8 byte count in decimal + `:` + the UTF-8 bytes
/// - REAL: `r` + the shortest round-trip decimal text + `;` (LabDoor never writes one)
/// - BLOB: `b` + byte count + `:` + the bytes (LabDoor never writes one)
///
/// Encoding by storage class means that changing a value's type (e.g. the integer 17 to the text "17") changes
/// the hash, as does any changed byte.
enum CanonicalEncoding {
    static let eventTag = "LDE1"
    static let checkpointTag = "LDC1"
    static let anchorTag = "LDA1"

    /// The event columns covered by the hash, in order (`hash` itself is not).
    static let eventColumns = [
        "seq", "time", "kind", "reader", "badge", "holder_id", "outcome", "reason", "actor", "details",
        "clock_trusted", "prev_hash",
    ]

    /// The hash that precedes the first event of a log that was never purged.
    static let genesisHash = String(repeating: "0", count: 64)

    static func encode(tag: String, _ values: [DatabaseValue]) -> Data {
        var out = Data(tag.utf8)
        for value in values {
            switch value.storage {
            case .null:
                out.append(UInt8(ascii: "~"))
            case .int64(let n):
                out.append(contentsOf: Array("i\(n);".utf8))
            case .double(let x):
                out.append(contentsOf: Array("r\(x);".utf8))
            case .string(let s):
                let bytes = Array(s.utf8)
                out.append(contentsOf: Array("s\(bytes.count):".utf8))
                out.append(contentsOf: bytes)
            case .blob(let data):
                out.append(contentsOf: Array("b\(data.count):".utf8))
                out.append(data)
            }
        }
        return out
    }

    /// Lower-case hex SHA-256 of `data`.
    static func sha256Hex(_ data: Data) -> String { SHA256.hash(data: data).hex }

    /// The hash of an event row given its covered column values in `eventColumns` order.
    static func eventHash(_ values: [DatabaseValue]) -> String { sha256Hex(encode(tag: eventTag, values)) }

    static func checkpointPayload(seq: Int64, hash: String, time: String, kind: String, keyID: String) -> Data {
        encode(
            tag: checkpointTag,
            [seq.databaseValue, hash.databaseValue, time.databaseValue, kind.databaseValue, keyID.databaseValue])
    }

    static func anchorPayload(seq: Int64, hash: String, time: String, keyID: String) -> Data {
        encode(tag: anchorTag, [seq.databaseValue, hash.databaseValue, time.databaseValue, keyID.databaseValue])
    }
}
