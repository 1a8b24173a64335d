// Bench helper (make bench, bench/run.py): builds LabDoor databases of any size quickly and the same every time,
// through the store's own code wherever the bytes matter (badge fingerprints with the site secret, the event log's
// hash chain and signed checkpoints), so that the daemon starts on them and `audit verify` passes.
//
//   labdoor-bench generate STATE_DIR HOLDERS EVENTS   holders, one badge and one registration each, and EVENTS
//                                                     badge decisions over the 365 days before 2026-11-30
//   labdoor-bench canonical DB OUT                    the canonical bytes of every event, as `audit verify`
//                                                     hashes them, into OUT (for sha256sum of the same bytes)
//
// Badge i (1-based) is number 1000000000 + i, holder i; every tenth holder is staff (holder 1 too).
import Foundation
import GRDB
import LabDoorCore
import LabDoorStore

@main
struct Bench {
    static func main() {
        let args = CommandLine.arguments
        do {
            switch (args.count > 1 ? args[1] : "", args.count) {
            case ("generate", 5):
                guard let holders = Int(args[3]), let events = Int(args[4]), holders > 0, events >= 0 else {
                    throw Usage()
                }
                try generate(dir: args[2], holders: holders, events: events)
            case ("canonical", 4):
                let store = try LabDoorStore(readOnlyPath: args[2])
                let count = try store.writeCanonicalEvents(to: args[3])
                print("canonical: \(count) events")
            default:
                throw Usage()
            }
        } catch is Usage {
            FileHandle.standardError.write(
                Data("usage: labdoor-bench generate STATE_DIR HOLDERS EVENTS | canonical DB OUT\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("labdoor-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    struct Usage: Error {}

    /// The end of the generated log (fixed, so that runs compare): 2026-11-30T00:00:00Z.
    static let end = Date(timeIntervalSince1970: 1_796_083_200)

    static func badgeNumber(_ i: Int) -> String { String(1_000_000_000 + i) }

    static func generate(dir: String, holders: Int, events: Int) throws {
        let started = ContinuousClock.now
        let path = "\(dir)/labdoor.db"
        let store = try LabDoorStore(path: path, keysDirectory: "\(dir)/keys")
        // The registry in large transactions on a second connection (the store has made the schema); the
        // fingerprints come from the store, keyed with the site secret as the daemon computes them.
        let queue = try DatabaseQueue(path: path)
        let created = "2026-01-01T00:00:00Z"
        let chunk = 50_000
        var first = 1
        while first <= holders {
            let last = min(holders, first + chunk - 1)
            let prints = try (first...last).map { i in
                try store.fingerprint(of: try BadgeID(parsing: badgeNumber(i))).rawValue
            }
            try queue.write { db in
                let holder = try db.makeStatement(
                    sql: """
                        INSERT INTO holder (id, name, profile, organisation, email, email_key, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """)
                let badge = try db.makeStatement(
                    sql: "INSERT INTO badge (fingerprint, last_four, holder_id, assigned_at) VALUES (?, ?, ?, ?)")
                let registration = try db.makeStatement(
                    sql: "INSERT INTO registration (holder_id, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?)"
                )
                for i in first...last {
                    let email = "holder\(i)@bench.invalid"
                    try holder.execute(arguments: [
                        i, "Bench Holder \(i)", i % 10 == 1 ? "staff" : "member", "Bench Oy", email, email, created,
                    ])
                    try badge.execute(arguments: [prints[i - first], String(badgeNumber(i).suffix(4)), i, created])
                    try registration.execute(arguments: [i, "2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z", created])
                }
            }
            first = last + 1
        }
        // The log through the store's own append: the hash chain and periodic checkpoints as the daemon makes
        // them. Decisions about a thousand holders' badges, one in twenty an unknown badge.
        let sample = try (1...min(holders, 1000)).map { i in
            (HolderID(rawValue: Int64(i)), try store.fingerprint(of: try BadgeID(parsing: badgeNumber(i))))
        }
        let unknown = try store.fingerprint(of: try BadgeID(parsing: "9999999999"))
        let step = events > 0 ? 365 * 86_400 / Double(events) : 0
        let start = end.addingTimeInterval(-365 * 86_400)
        var written = 0
        while written < events {
            let batch = (written..<min(events, written + 50_000)).map { i in
                let time = start.addingTimeInterval(Double(i) * step)
                if i % 20 == 19 {
                    return EventRecord(
                        time: time, kind: .badgeDecision, reader: "entry", badge: unknown, outcome: .denied,
                        reason: .unknownBadge, clockTrusted: true)
                }
                let (holder, badge) = sample[i % sample.count]
                return EventRecord(
                    time: time, kind: .badgeDecision, reader: "entry", badge: badge, holderID: holder,
                    outcome: .granted, reason: .granted, clockTrusted: true)
            }
            try store.append(batch)
            written += batch.count
        }
        try store.flushWAL()
        let seconds = Double((ContinuousClock.now - started).components.seconds)
        print("generate: \(holders) holders, badges and registrations, \(written) events in \(Int(seconds)) s")
    }
}
