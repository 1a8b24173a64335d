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
        var encoder = CanonicalEncoder()
        encoder.start(tag)
        for value in values {
            switch value.storage {
            case .null: encoder.appendNull()
            case .int64(let n): encoder.append(integer: n)
            case .double(let x): encoder.append(real: x)
            case .string(let s): encoder.append(text: s)
            case .blob(let data): encoder.append(blob: data)
            }
        }
        return Data(encoder.bytes)
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

/// The canonical encoding's byte rules, into one reusable buffer: the writer (through `encode(tag:_:)`) and the
/// verifier's chain check (straight from SQLite's columns, without a value per column) share them.
struct CanonicalEncoder {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    /// Empties the buffer and writes the record's tag.
    mutating func start(_ tag: String) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: tag.utf8)
    }

    mutating func appendNull() { bytes.append(UInt8(ascii: "~")) }

    /// `i` + decimal digits (with `-` when negative) + `;`.
    mutating func append(integer n: Int64) {
        bytes.append(UInt8(ascii: "i"))
        appendDecimal(n)
        bytes.append(UInt8(ascii: ";"))
    }

    /// `r` + the shortest round-trip decimal text + `;`.
    mutating func append(real x: Double) {
        bytes.append(UInt8(ascii: "r"))
        bytes.append(contentsOf: "\(x)".utf8)
        bytes.append(UInt8(ascii: ";"))
    }

    /// `s` + UTF-8 byte count + `:` + the bytes.
    mutating func append(text: String) {
        var text = text
        text.withUTF8 { append(textBytes: UnsafeRawBufferPointer($0)) }
    }

    /// `s` + byte count + `:` + the bytes (UTF-8 as SQLite keeps it).
    mutating func append(textBytes: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "s"))
        appendDecimal(Int64(textBytes.count))
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: textBytes)
    }

    /// `b` + byte count + `:` + the bytes.
    mutating func append(blob: Data) {
        blob.withUnsafeBytes { append(blobBytes: $0) }
    }

    mutating func append(blobBytes: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "b"))
        appendDecimal(Int64(blobBytes.count))
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: blobBytes)
    }

    private mutating func appendDecimal(_ n: Int64) {
        if n < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = n.magnitude
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }
}
