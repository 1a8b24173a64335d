import Crypto
import Foundation
import GRDB
import GRDBSQLite
import LabDoorCore

/// Verifies the event log offline: the hash chain, every checkpoint's signature and hash, the purge anchor, and
/// optionally a checkpoint the auditor kept off the device. Needs only the database (read-only) and, for an
/// independent check, the site's public key. The procedure is documented in docs/audit.md.
public struct LogVerifier: Sendable {
    /// What is wrong, at the first bad `seq`.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// The first event (or checkpoint) that does not verify.
        public let seq: Int64
        /// What is wrong.
        public let message: String
        /// `seq N: message`.
        public var description: String { "seq \(seq): \(message)" }
    }

    /// Every problem found, the first (lowest seq, in the order verification meets them) first.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The problems; never empty.
        public let problems: [Problem]
        /// The first problem: the headline.
        public var first: Problem { problems[0] }
        /// `seq N: message`, then how many more.
        public var description: String {
            "\(first)" + (problems.count > 1 ? " (and \(problems.count - 1) more)" : "")
        }
    }

    /// The result of a successful verification.
    public struct Report: Hashable, Sendable, CustomStringConvertible {
        /// Events checked.
        public let events: Int
        /// Checkpoints checked.
        public let checkpoints: Int
        /// The first event's seq (nil for an empty log).
        public let firstSeq: Int64?
        /// The last event's seq.
        public let lastSeq: Int64?
        /// The key the signatures were checked against.
        public let keyID: String
        /// Whether that key came from the auditor (true) or from the database itself (false).
        public let independentKey: Bool
        /// Notes that are not failures (e.g. a kept checkpoint older than a purge).
        public let notes: [String]

        /// The one-line summary `audit verify` prints.
        public var description: String {
            let range = firstSeq.flatMap { first in lastSeq.map { "seq \(first)–\($0)" } } ?? "empty"
            let source =
                independentKey
                ? "the given public key" : "the key stored in the database (pass --pubkey for an independent check)"
            return
                "OK: \(events) events (\(range)), \(checkpoints) checkpoints; signatures valid with key \(keyID) from \(source)"
                + notes.map { "; \($0)" }.joined()
        }
    }

    let store: LabDoorStore

    /// A verifier over an open store (read-only is enough).
    public init(store: LabDoorStore) { self.store = store }

    /// Verifies the log; throws a `Failure` listing every problem found (verification goes on after the first, so
    /// that damage early in the log cannot hide tampering later).
    ///
    /// - Parameters:
    ///   - publicKey: the auditor's copy of the site key; nil to use the key recorded in the database (which
    ///     detects accidental damage but not a log re-signed by someone who replaced that key too).
    ///   - kept: a checkpoint the auditor kept; detects a truncated tail.
    ///   - progress: told how many events were checked, every few thousand (for a progress bar).
    /// Also checks every page of the file (`PRAGMA quick_check`) on a second connection beside the chain check:
    /// damage to a page no event lives on (an index, a holder) fails the verification too.
    public func verify(
        publicKey: LogPublicKey?, kept: Checkpoint? = nil, progress: ((Int) -> Void)? = nil
    ) throws -> Report {
        let key = try publicKey ?? store.publicKey()
        let pages = PageCheck(path: store.path)
        let chain = Result {
            try store.database.read { db in
                try verify(db, key: key, independent: publicKey != nil, kept: kept, progress: progress)
            }
        }
        guard let damage = pages.wait() else { return try chain.get() }
        let problem = Problem(seq: 0, message: "the database file is damaged (PRAGMA quick_check): \(damage)")
        if case .failure(let failure as Failure) = chain { throw Failure(problems: [problem] + failure.problems) }
        throw Failure(problems: [problem])
    }

    /// `checkIntegrity()` on a read-only connection of its own, on a thread of its own.
    private final class PageCheck: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var damage: String?

        init(path: String) {
            Thread {
                do throws(StoreError) {
                    try LabDoorStore(readOnlyPath: path).checkIntegrity()
                } catch .damaged(_, let report) {
                    self.damage = report
                } catch {
                    self.damage = error.description
                }
                self.done.signal()
            }.start()
        }

        /// What the check found, nil for nothing.
        func wait() -> String? {
            done.wait()
            return damage
        }
    }

    private func verify(
        _ db: Database, key: LogPublicKey, independent: Bool, kept: Checkpoint?, progress: ((Int) -> Void)?
    ) throws -> Report {
        var notes: [String] = []
        var problems: [Problem] = []
        func problem(_ seq: Int64, _ message: String) { problems.append(Problem(seq: seq, message: message)) }

        // The anchor: where the log starts after a purge.
        var expectedSeq: Int64 = 1
        var previousHash = CanonicalEncoding.genesisHash
        let anchor: PurgeAnchor?
        do {
            anchor = try LabDoorStore.anchor(db)
        } catch {
            anchor = nil
            problem(0, "the purge anchor is malformed (\(error)); the log's start cannot be checked")
        }
        if let anchor {
            if !key.isValidSignature(anchor.signature, for: anchor.payload) {
                problem(
                    anchor.seq,
                    "the purge anchor's signature does not verify with key \(key.keyID) (signed by key \(anchor.keyID))"
                )
            }
            let (next, overflow) = anchor.seq.addingReportingOverflow(1)
            if overflow {
                problem(anchor.seq, "the purge anchor claims the largest seq a log can hold; no event can follow it")
            } else {
                expectedSeq = next
            }
            previousHash = anchor.hash
        }

        // Checkpoints: every signature must verify with the key.
        let checkpointRows = try Row.fetchAll(db, sql: "SELECT * FROM checkpoint ORDER BY seq")
        var checkpoints: [Int64: Checkpoint] = [:]
        for row in checkpointRows {
            let checkpoint: Checkpoint
            do {
                checkpoint = try LabDoorStore.checkpoint(from: row)
            } catch {
                problem(Int64.fromDatabaseValue(row["seq"]) ?? 0, "the checkpoint is malformed (\(error))")
                continue
            }
            guard key.isValidSignature(checkpoint.signature, for: checkpoint.payload) else {
                problem(
                    checkpoint.seq,
                    "the checkpoint's signature does not verify with key \(key.keyID) (it claims key \(checkpoint.keyID)): the log was re-signed or the checkpoint edited"
                )
                continue
            }
            checkpoints[checkpoint.seq] = checkpoint
        }
        if let kept, !key.isValidSignature(kept.signature, for: kept.payload) {
            problem(kept.seq, "the checkpoint you kept does not verify with key \(key.keyID)")
        }

        // The chain. After a problem the check goes on from the row as stored, so each later row is judged on
        // its own hash and on its link to the row before it. Read straight from SQLite's columns into one
        // reused buffer (no value, string or array per column): the cost per event is the step, the canonical
        // bytes and the hash.
        let columns = CanonicalEncoding.eventColumns
        let statement = try db.makeStatement(
            sql: "SELECT \(columns.joined(separator: ", ")), hash FROM event ORDER BY seq")
        let raw = statement.sqliteStatement
        let hashColumn = Int32(columns.count)
        let prevHashColumn = Int32(columns.count - 1)
        var encoder = CanonicalEncoder()
        var computed = [UInt8](repeating: 0, count: 64)
        var previous = Array(previousHash.utf8)
        var stored: [UInt8] = []
        var count = 0
        var firstSeq: Int64?
        var lastSeq: Int64?
        while true {
            let step = sqlite3_step(raw)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: step),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            if let progress, count % 4096 == 0 { progress(count) }
            encoder.start(CanonicalEncoding.eventTag)
            for column in 0..<hashColumn { Self.encode(column: column, of: raw, into: &encoder) }
            stored = Self.text(column: hashColumn, of: raw)
            guard sqlite3_column_type(raw, 0) == SQLITE_INTEGER else {
                problem(expectedSeq, "a row has no seq")
                continue
            }
            let seq = sqlite3_column_int64(raw, 0)
            if seq != expectedSeq {
                problem(
                    expectedSeq,
                    seq > expectedSeq
                        ? "missing: the log jumps from seq \(expectedSeq - 1) to seq \(seq) (rows deleted)"
                        : "out of order")
            }
            Self.sha256Hex(encoder.bytes, into: &computed)
            if computed != stored {
                problem(seq, "its contents do not match its hash (the row was edited, replaced or moved)")
            } else if seq == expectedSeq,
                sqlite3_column_type(raw, prevHashColumn) != SQLITE_TEXT
                    || Self.text(column: prevHashColumn, of: raw) != previous
            {
                problem(
                    seq,
                    "its prev_hash does not match the previous event's hash (a row was inserted, removed or reordered before it)"
                )
            }
            if let checkpoint = checkpoints[seq], Array(checkpoint.hash.utf8) != stored {
                problem(
                    seq,
                    "its hash differs from the signed checkpoint for seq \(seq): the log was rewritten at or before it")
            }
            if let kept, kept.seq == seq, Array(kept.hash.utf8) != stored {
                problem(seq, "its hash differs from the checkpoint you kept: the log was rewritten at or before it")
            }
            firstSeq = firstSeq ?? seq
            lastSeq = seq
            swap(&previous, &stored)
            let (next, overflow) = seq.addingReportingOverflow(1)
            if overflow {
                problem(seq, "the seq is at the largest value a log can hold; nothing can follow it")
                break
            }
            expectedSeq = max(expectedSeq, next)
            count += 1
        }
        progress?(count)

        let end = expectedSeq - 1
        if let beyond = checkpoints.keys.filter({ $0 > end }).min() {
            problem(
                end + 1, "missing: a signed checkpoint covers seq \(beyond) but the log ends at seq \(end) (truncated)")
        }
        if let kept {
            if kept.seq > end {
                problem(
                    end + 1,
                    "missing: the checkpoint you kept covers seq \(kept.seq) but the log ends at seq \(end) (truncated)"
                )
            }
            if let firstSeq, kept.seq < firstSeq {
                notes.append(
                    "the checkpoint you kept (seq \(kept.seq)) predates the purge anchor; the log after it verifies")
            }
        }
        guard problems.isEmpty else { throw Failure(problems: problems) }
        return Report(
            events: count, checkpoints: checkpoints.count, firstSeq: firstSeq, lastSeq: lastSeq, keyID: key.keyID,
            independentKey: independent, notes: notes)
    }
}

extension LogVerifier {
    /// One column of the current row, encoded by its SQLite storage class.
    static func encode(column: Int32, of statement: SQLiteStatement, into encoder: inout CanonicalEncoder) {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_NULL: encoder.appendNull()
        case SQLITE_INTEGER: encoder.append(integer: sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: encoder.append(real: sqlite3_column_double(statement, column))
        case SQLITE_BLOB:
            let pointer = sqlite3_column_blob(statement, column)
            encoder.append(
                blobBytes: UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement, column))))
        default:
            let pointer = sqlite3_column_text(statement, column)
            encoder.append(
                textBytes: UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement, column))))
        }
    }

    /// A column's bytes as text (empty when NULL).
    static func text(column: Int32, of statement: SQLiteStatement) -> [UInt8] {
        guard let pointer = sqlite3_column_text(statement, column) else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement, column))))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lower-case hex SHA-256 of `bytes` into `hex` (64 bytes).
    static func sha256Hex(_ bytes: [UInt8], into hex: inout [UInt8]) {
        let digest = SHA256.hash(data: bytes)
        var index = 0
        for byte in digest {
            hex[index] = hexDigits[Int(byte >> 4)]
            hex[index + 1] = hexDigits[Int(byte & 0x0F)]
            index += 2
        }
    }
}

extension LabDoorStore {
    /// The canonical bytes of every event, in seq order, as `audit verify` hashes them, written to a new file at
    /// `path`; returns how many events (make bench: `sha256sum` of the same bytes is the verifier's yardstick).
    package func writeCanonicalEvents(to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let out = FileHandle(forWritingAtPath: path)
        else { throw StoreError.io(path: path, message: "cannot create the file", code: nil) }
        defer { try? out.close() }
        let columns = CanonicalEncoding.eventColumns
        return try database.read { db in
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT \(columns.joined(separator: ", ")) FROM event ORDER BY seq")
            var buffer = Data()
            var count = 0
            while let row = try cursor.next() {
                buffer.append(
                    CanonicalEncoding.encode(tag: CanonicalEncoding.eventTag, columns.indices.map { row[$0] }))
                count += 1
                if buffer.count >= 1 << 20 {
                    try out.write(contentsOf: buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try out.write(contentsOf: buffer)
            return count
        }
    }
}
