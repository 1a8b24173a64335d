import Foundation
import GRDB
import LabDoorCore

/// Plans an import of checked registration rows (DESIGN.md, "Registration import (CSV)") on any connection, and
/// applies a plan inside the caller's write transaction. The dry run reports the plan the import applies.
///
/// - Holders are matched by e-mail, case-insensitively (`email_key`), among holders that are not removed; an
///   unknown e-mail creates a `visitor` holder with the row's name and organisation (no badge yet).
/// - A row identical to a registration that existed before the import, or to an earlier row of the file, is
///   skipped and counted.
/// - A row that overlaps another registration of the same holder (existing, or an earlier row) is kept and
///   reported.
///
/// Planning costs per row one indexed holder lookup (cached per e-mail) and one indexed overlap query, with
/// cached statements; in-file overlaps are found by sorting each holder's rows once. It runs on a reader
/// connection, off the decision loop. Applying is only inserts: it is what the loop waits for.
enum RegistrationImporter {
    /// The profile of the holders an import creates.
    static let newHolderProfile = "visitor"

    /// The registry's change count, which every registry change bumps in its transaction.
    static func generation(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT generation FROM registry_generation WHERE id = 1") ?? 0
    }

    /// Bumps the change count; called in the transaction of every registry change.
    static func bumpGeneration(_ db: Database) throws {
        try db.execute(sql: "UPDATE registry_generation SET generation = generation + 1 WHERE id = 1")
    }

    private struct Kept {
        let from: Date
        let until: Date
        let line: Int
        let email: String
    }

    /// What importing `rows` does to the registry as `db` sees it.
    static func plan(_ rows: [ImportRow], _ db: Database) throws -> ImportPlan {
        let generation = try generation(db)
        let findHolder = try db.cachedStatement(
            sql: "SELECT id FROM holder WHERE email_key = ? AND removed_at IS NULL ORDER BY id LIMIT 1")
        let findOverlaps = try db.cachedStatement(
            sql: """
                SELECT id, valid_from, valid_until FROM registration
                WHERE holder_id = ? AND valid_from < ? AND valid_until > ? ORDER BY id
                """)
        var holders: [String: ImportPlan.Target] = [:]
        var newHolders: [ImportReport.NewHolder] = []
        var newHolderRows: [Int] = []
        var seen = Set<String>()
        var kept: [String: [Kept]] = [:]
        var duplicates: [Int] = []
        var overlaps: [ImportReport.Overlap] = []
        var overlapTargets: [Int: Int] = [:]
        var additions: [ImportPlan.Addition] = []

        for (index, row) in rows.enumerated() {
            let key = row.emailKey
            let target: ImportPlan.Target
            if let known = holders[key] {
                target = known
            } else if let id = try Int64.fetchOne(findHolder, arguments: [key]) {
                target = .existing(HolderID(rawValue: id))
                holders[key] = target
            } else {
                target = .new(newHolders.count)
                newHolders.append(ImportReport.NewHolder(line: row.line, email: row.email, name: row.name))
                newHolderRows.append(index)
                holders[key] = target
            }
            let from = UTCTimestamp.format(row.from)
            let until = UTCTimestamp.format(row.until)
            guard seen.insert("\(key) \(from) \(until)").inserted else {
                duplicates.append(row.line)
                continue
            }
            var overlapping: Int64?
            if case .existing(let id) = target {
                var identical = false
                for found in try Row.fetchAll(findOverlaps, arguments: [id.rawValue, until, from]) {
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
            }
            additions.append(ImportPlan.Addition(row: index, target: target, from: from, until: until))
            if let overlapping, case .existing(let id) = target {
                overlaps.append(
                    ImportReport.Overlap(
                        line: row.line, holder: id, email: row.email, registration: overlapping, otherLine: nil))
            }
            kept[key, default: []].append(Kept(from: row.from, until: row.until, line: row.line, email: row.email))
        }

        for (key, list) in kept where list.count > 1 {
            let target = holders[key]
            let email = list[0].email
            // Sorted by start, a row overlaps an earlier one exactly when it starts before the latest end so far.
            var latest: Kept?
            for row in list.sorted(by: { ($0.from, $0.line) < ($1.from, $1.line) }) {
                if let latest, row.from < latest.until {
                    var holder: HolderID?
                    if case .existing(let id)? = target { holder = id }
                    overlaps.append(
                        ImportReport.Overlap(
                            line: max(row.line, latest.line), holder: holder, email: email, registration: nil,
                            otherLine: min(row.line, latest.line)))
                }
                if latest.map({ row.until > $0.until }) ?? true { latest = row }
            }
        }
        overlaps.sort { ($0.line, $0.otherLine ?? 0) < ($1.line, $1.otherLine ?? 0) }
        for (index, overlap) in overlaps.enumerated() where overlap.holder == nil {
            if case .new(let holder)? = holders[overlap.email.lowercased()] { overlapTargets[index] = holder }
        }
        let report = ImportReport(
            rows: rows.count, newHolders: newHolders, added: additions.count, duplicateLines: duplicates,
            overlaps: overlaps, dryRun: true)
        return ImportPlan(
            rows: rows, report: report, newHolderRows: newHolderRows, additions: additions,
            overlapTargets: overlapTargets, generation: generation)
    }

    /// Carries out `plan` in the caller's transaction — planned again first if the registry changed since — and
    /// returns what was done, with the ids of the holders created.
    static func apply(_ plan: ImportPlan, at now: Date, _ db: Database) throws -> ImportReport {
        let plan = try generation(db) == plan.generation ? plan : try Self.plan(plan.rows, db)
        let stamp = UTCTimestamp.format(now)
        let insertHolder = try db.cachedStatement(
            sql: """
                INSERT INTO holder (name, profile, organisation, email, email_key, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
        let insertRegistration = try db.cachedStatement(
            sql: "INSERT INTO registration (holder_id, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?)")
        var report = plan.report
        report.dryRun = false
        var created: [HolderID] = []
        created.reserveCapacity(plan.newHolderRows.count)
        for index in plan.newHolderRows {
            let row = plan.rows[index]
            try insertHolder.execute(
                arguments: [row.name, newHolderProfile, row.organisation, row.email, row.emailKey, stamp])
            created.append(HolderID(rawValue: db.lastInsertedRowID))
        }
        for addition in plan.additions {
            let holder: HolderID =
                switch addition.target {
                case .existing(let id): id
                case .new(let index): created[index]
                }
            try insertRegistration.execute(arguments: [holder.rawValue, addition.from, addition.until, stamp])
        }
        for index in report.newHolders.indices { report.newHolders[index].id = created[index] }
        for (index, holder) in plan.overlapTargets { report.overlaps[index].holder = created[holder] }
        return report
    }
}
