import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorStore

/// What auditors read through the daemon — they have no access to the state directory on a device: the public
/// key and checkpoints, consistent snapshots of the database, and reports. Answered on the client's thread from
/// the store's reader connections; nothing here reaches the decision loop.
struct AuditQueries: Sendable {
    /// The database (nil for a daemon over another store, as in the decision-loop tests).
    let archive: LabDoorStore?
    /// Where snapshots are made (the state directory: the same filesystem as the database).
    let snapshotDirectory: String
    let view: PolicyView

    /// Bytes per `audit.snapshot` chunk: 48 KiB, 64 KiB of base64 on the wire.
    static let snapshotChunk = 48 * 1024

    private func requireArchive() throws(ControlError) -> LabDoorStore {
        guard let archive else { throw ControlError(.failed, "this labdoord keeps no database to read the log from") }
        return archive
    }

    func keys() throws(ControlError) -> AuditKeys {
        let archive = try requireArchive()
        return try refused { () throws(StoreError) in
            AuditKeys(
                publicKey: try archive.publicKey().description,
                anchor: try archive.anchor().map {
                    AnchorInfo(
                        seq: $0.seq, hash: $0.hash, time: $0.time, key: $0.keyID,
                        signature: $0.signature.base64EncodedString())
                })
        }
    }

    func latestCheckpoint() throws(ControlError) -> CheckpointText {
        let archive = try requireArchive()
        return CheckpointText(
            checkpoint: try refused { () throws(StoreError) in try archive.latestCheckpoint()?.description })
    }

    func checkpoints(_ command: AuditCheckpointsCommand) throws(ControlError) -> Page<String> {
        let archive = try requireArchive()
        let limit = try Paging.limit(command.limit)
        let page = try refused { () throws(StoreError) in
            try archive.checkpoints(after: command.after ?? 0, limit: limit)
        }
        return Page(items: page.map(\.description), nextAfter: page.count == limit ? page.last?.seq : nil)
    }

    /// Streams a snapshot: its size, its bytes, their digest. A client that goes away ends it (the copy is
    /// deleted either way).
    func snapshot(emit: (SnapshotItem) -> Bool) throws(ControlError) {
        let archive = try requireArchive()
        let sent = try refused { () throws(StoreError) in
            try archive.streamSnapshot(
                in: snapshotDirectory, chunkSize: Self.snapshotChunk, start: { emit(.start(bytes: $0)) },
                chunk: { emit(.chunk($0.base64EncodedString())) })
        }
        if let sent { _ = emit(.end(bytes: sent.bytes, sha256: sent.sha256)) }
    }

    func report(_ command: ReportCommand, now: Date) throws(ControlError) -> UsageReport {
        let archive = try requireArchive()
        let zone = view.current.config.zone
        let (first, last): (LocalDate, LocalDate)
        do {
            (first, last) = try UsageReport.days(from: command.from, to: command.to, today: zone.local(now).date)
        } catch {
            throw ControlError(.badRequest, error.description)
        }
        let (start, end) = UsageReport.interval(first: first, last: last, zone: zone)
        let buckets = try refused { () throws(StoreError) in try archive.usageBuckets(from: start, to: end) }
        return UsageReport(buckets: buckets, first: first, last: last, zone: zone)
    }
}
