import Foundation
import GRDB
import LabDoorCore

/// Plans — and, with `apply`, carries out inside the caller's transaction — an import of checked registration
/// rows (DESIGN.md, "Registration import (CSV)"). The dry run and the import run this same code, so a dry run
/// reports exactly what the import does.
///
/// - Holders are matched by e-mail, case-insensitively (`email_key`), among holders that are not removed; an
///   unknown e-mail creates a `visitor` holder with the row's name and organisation (no badge yet).
/// - A row identical to a registration that existed before the import, or to an earlier row of the file, is
///   skipped and counted.
/// - A row that overlaps another registration of the same holder (existing, or an earlier row) is kept and
///   reported.
///
/// Cost: per row one indexed holder lookup (cached per e-mail), one indexed overlap query and, when applied,
/// one insert — all with cached statements; in-file overlaps are found by sorting each holder's rows once.
struct RegistrationImporter {
    let db: Database
    let now: Date
    let apply: Bool

    /// The profile of the holders an import creates.
    static let newHolderProfile = "visitor"

    private enum Holder {
        case existing(HolderID)
        /// Created by this import: its index in the report's new holders.
        case new(Int)
    }

    private struct Kept {
        let from: Date
        let until: Date
        let line: Int
        let email: String
    }

    func run(_ rows: [ImportRow]) throws -> ImportReport {
        // Registrations this import adds have larger ids; overlaps among them are found in the file, so that a
        // dry run (which adds none) and the import report the same.
        let lastExisting = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM registration") ?? 0
        let findHolder = try db.cachedStatement(
            sql: "SELECT id FROM holder WHERE email_key = ? AND removed_at IS NULL ORDER BY id LIMIT 1")
        let findOverlaps = try db.cachedStatement(
            sql: """
                SELECT id, valid_from, valid_until FROM registration
                WHERE holder_id = ? AND id <= ? AND valid_from < ? AND valid_until > ? ORDER BY id
                """)
        let stamp = UTCTimestamp.format(now)
        var holders: [String: Holder] = [:]
        var newHolders: [ImportReport.NewHolder] = []
        var seen = Set<String>()
        var kept: [String: [Kept]] = [:]
        var duplicates: [Int] = []
        var overlaps: [ImportReport.Overlap] = []
        var added = 0

        for row in rows {
            let key = row.emailKey
            let holder: Holder
            if let known = holders[key] {
                holder = known
            } else if let id = try Int64.fetchOne(findHolder, arguments: [key]) {
                holder = .existing(HolderID(rawValue: id))
                holders[key] = holder
            } else {
                var created = ImportReport.NewHolder(line: row.line, email: row.email, name: row.name)
                if apply {
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO holder (name, profile, organisation, email, email_key, created_at)
                            VALUES (?, ?, ?, ?, ?, ?)
                            """
                    ).execute(arguments: [row.name, Self.newHolderProfile, row.organisation, row.email, key, stamp])
                    created.id = HolderID(rawValue: db.lastInsertedRowID)
                }
                holder = .new(newHolders.count)
                newHolders.append(created)
                holders[key] = holder
            }
            let from = UTCTimestamp.format(row.from)
            let until = UTCTimestamp.format(row.until)
            guard seen.insert("\(key) \(from) \(until)").inserted else {
                duplicates.append(row.line)
                continue
            }
            var overlapping: Int64?
            let holderID: HolderID?
            switch holder {
            case .existing(let id):
                holderID = id
                var identical = false
                for found in try Row.fetchAll(findOverlaps, arguments: [id.rawValue, lastExisting, until, from]) {
                    let stored = StoredRow(found, in: "registration")
                    if try stored.required("valid_from", as: String.self) == from,
                        try stored.required("valid_until", as: String.self) == until
                    {
                        identical = true
                    }
                    if overlapping == nil { overlapping = try stored.required("id", as: Int64.self) }
                }
                if identical {
                    duplicates.append(row.line)
                    continue
                }
            case .new(let index):
                holderID = newHolders[index].id
            }
            if apply, let holderID {
                _ = try LabDoorStore.insertRegistration(
                    holder: holderID, from: row.from, until: row.until, at: now, db)
            }
            added += 1
            if let overlapping {
                overlaps.append(
                    ImportReport.Overlap(
                        line: row.line, holder: holderID, email: row.email, registration: overlapping, otherLine: nil))
            }
            kept[key, default: []].append(Kept(from: row.from, until: row.until, line: row.line, email: row.email))
        }

        for (key, list) in kept where list.count > 1 {
            let holderID: HolderID? =
                switch holders[key] {
                case .existing(let id)?: id
                case .new(let index)?: newHolders[index].id
                case nil: nil
                }
            let email = list[0].email
            // Sorted by start, a row overlaps an earlier one exactly when it starts before the latest end so far.
            var latest: Kept?
            for row in list.sorted(by: { ($0.from, $0.line) < ($1.from, $1.line) }) {
                if let latest, row.from < latest.until {
                    overlaps.append(
                        ImportReport.Overlap(
                            line: max(row.line, latest.line), holder: holderID, email: email, registration: nil,
                            otherLine: min(row.line, latest.line)))
                }
                if latest.map({ row.until > $0.until }) ?? true { latest = row }
            }
        }
        overlaps.sort { ($0.line, $0.otherLine ?? 0) < ($1.line, $1.otherLine ?? 0) }
        return ImportReport(
            rows: rows.count, newHolders: newHolders, added: added, duplicateLines: duplicates, overlaps: overlaps,
            dryRun: !apply)
    }
}
