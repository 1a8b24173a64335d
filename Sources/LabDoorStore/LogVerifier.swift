import Foundation
import GRDB

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
    public func verify(
        publicKey: LogPublicKey?, kept: Checkpoint? = nil, progress: ((Int) -> Void)? = nil
    ) throws -> Report {
        let key = try publicKey ?? store.publicKey()
        return try store.database.read { db in
            try verify(db, key: key, independent: publicKey != nil, kept: kept, progress: progress)
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
        // its own hash and on its link to the row before it.
        let columns = CanonicalEncoding.eventColumns
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT \(columns.joined(separator: ", ")), hash FROM event ORDER BY seq")
        var count = 0
        var firstSeq: Int64?
        var lastSeq: Int64?
        while let row = try cursor.next() {
            if let progress, count % 4096 == 0 { progress(count) }
            let values = columns.map { row[$0] as DatabaseValue }
            guard let seq = Int64.fromDatabaseValue(row["seq"]) else {
                problem(expectedSeq, "a row has no seq")
                continue
            }
            if seq != expectedSeq {
                problem(
                    expectedSeq,
                    seq > expectedSeq
                        ? "missing: the log jumps from seq \(expectedSeq - 1) to seq \(seq) (rows deleted)"
                        : "out of order")
            }
            let storedHash = String.fromDatabaseValue(row["hash"]) ?? ""
            if CanonicalEncoding.eventHash(values) != storedHash {
                problem(seq, "its contents do not match its hash (the row was edited, replaced or moved)")
            } else if seq == expectedSeq, String.fromDatabaseValue(row["prev_hash"]) != previousHash {
                problem(
                    seq,
                    "its prev_hash does not match the previous event's hash (a row was inserted, removed or reordered before it)"
                )
            }
            if let checkpoint = checkpoints[seq], checkpoint.hash != storedHash {
                problem(
                    seq,
                    "its hash differs from the signed checkpoint for seq \(seq): the log was rewritten at or before it")
            }
            if let kept, kept.seq == seq, kept.hash != storedHash {
                problem(seq, "its hash differs from the checkpoint you kept: the log was rewritten at or before it")
            }
            firstSeq = firstSeq ?? seq
            lastSeq = seq
            previousHash = storedHash
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
