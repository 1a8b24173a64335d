// Test helper, not shipped: drives LabDoorStore from a separate process.
//
//   labdoor-logwriter append STATE_DIR COUNT   append COUNT events (in random batches of 1–5), printing
//                                              "seq N" for each event after its commit returned
//   labdoor-logwriter sample STATE_DIR         create a small site: holders, badges, registrations, decisions
//   labdoor-logwriter bulk STATE_DIR COUNT     append COUNT events in transactions of 10 000 (a large log, fast)
import Foundation
import LabDoorCore
import LabDoorStore

@main
struct LogWriter {
    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 3 else {
            FileHandle.standardError.write(Data("usage: labdoor-logwriter append DIR COUNT | sample DIR\n".utf8))
            exit(2)
        }
        let dir = args[2]
        do {
            let store = try LabDoorStore(path: "\(dir)/labdoor.db", keysDirectory: "\(dir)/keys")
            switch args[1] {
            case "append":
                try append(store, count: Int(args.count > 3 ? args[3] : "1000") ?? 1000)
            case "sample":
                try sample(store)
            case "bulk":
                try bulk(store, count: Int(args.count > 3 ? args[3] : "100000") ?? 100_000)
            default:
                FileHandle.standardError.write(Data("unknown mode \(args[1])\n".utf8))
                exit(2)
            }
        } catch {
            FileHandle.standardError.write(Data("labdoor-logwriter: \(error)\n".utf8))
            exit(1)
        }
    }

    static func append(_ store: LabDoorStore, count: Int) throws {
        var written = 0
        var generator = SystemRandomNumberGenerator()
        while written < count {
            let batch = (0..<Int.random(in: 1...5, using: &generator)).map { index in
                EventRecord(
                    time: Date(), kind: .badgeDecision, reader: "entry",
                    badge: BadgeFingerprint(rawValue: String(repeating: "ab", count: 32)),
                    holderID: HolderID(rawValue: Int64(index)), outcome: .denied, reason: .unknownBadge,
                    details: "crash test \(written + index)", clockTrusted: true)
            }
            for event in try store.append(batch) {
                print("seq \(event.seq)")
            }
            fflush(nil)  // nil: all streams (stdout is not concurrency-safe to name in Swift 6)
            written += batch.count
        }
    }

    static func bulk(_ store: LabDoorStore, count: Int) throws {
        var written = 0
        let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        while written < count {
            let batch = (written..<min(count, written + 10_000)).map { i in
                EventRecord(
                    time: start.addingTimeInterval(Double(i)), kind: .badgeDecision, reader: "entry",
                    badge: BadgeFingerprint(rawValue: String(repeating: "cd", count: 32)),
                    outcome: .denied, reason: .unknownBadge, details: "bulk \(i)", clockTrusted: true)
            }
            try store.append(batch)
            written += batch.count
        }
        print("bulk: \(written) events")
    }

    static func sample(_ store: LabDoorStore) throws {
        let zone = SiteZone(identifier: "Europe/Helsinki") ?? SiteZone(.gmt)
        func at(_ text: String) -> Date {
            LocalDateTime(iso: text).map { zone.firstInstant(atOrAfter: $0) } ?? Date(timeIntervalSince1970: 0)
        }
        let context = ChangeContext(actor: "facilities", now: at("2025-01-06 12:00"), clockTrusted: true)
        let aino = try store.addHolder(name: "Aino Virtanen", profile: "visitor", context)
        let sanna = try store.addHolder(name: "Sanna Staff", profile: "staff", context)
        _ = try store.assignBadge(try BadgeID(parsing: "1000000001"), to: aino.id, context)
        _ = try store.assignBadge(try BadgeID(parsing: "1000000003"), to: sanna.id, context)
        _ = try store.addRegistration(
            holder: aino.id, from: at("2025-01-07 09:00"), until: at("2025-01-07 18:00"), context)
        let policy = AccessPolicy(calendar: OpeningCalendar(zone: zone))
        let reads: [(String, String)] = [
            ("1000000001", "2025-01-07 08:30"), ("1000000001", "2025-01-07 09:15"), ("9999999999", "2025-01-07 10:00"),
            ("1000000003", "2025-01-07 22:00"), ("1000000001", "2025-01-07 18:30"),
        ]
        for (number, time) in reads {
            let fingerprint = try store.fingerprint(of: try BadgeID(parsing: number))
            let decision = policy.decide(
                try store.credential(for: fingerprint), at: at(time), mode: .normal, clockTrusted: true)
            try store.append(
                .decision(decision, badge: fingerprint, reader: "entry", at: at(time), clockTrusted: true))
        }
        try store.checkpoint(kind: .manual, now: at("2025-01-08 00:00"))
        print("sample: \(try store.events().count) events")
    }
}
