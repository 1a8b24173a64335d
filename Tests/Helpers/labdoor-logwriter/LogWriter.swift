// Test helper, not shipped: drives LabDoorStore from a separate process.
//
//   labdoor-logwriter append STATE_DIR COUNT   append COUNT events (in random batches of 1–5), printing
//                                              "seq N" for each event after its commit returned
//   labdoor-logwriter sample STATE_DIR         create a small site: holders, badges, registrations, decisions
//   labdoor-logwriter bulk STATE_DIR COUNT     append COUNT events in transactions of 10 000 (a large log, fast)
//   labdoor-logwriter usage STATE_DIR          a month of the Lab's use (January 2027), every read decided by the
//                                              real policy, the same every time (docs/report-example.svg)
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
            case "usage":
                try usage(store)
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

    /// A deterministic generator (SplitMix64), so that the month is the same on every run.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func usage(_ store: LabDoorStore) throws {
        let zone = SiteZone(identifier: "Europe/Helsinki") ?? SiteZone(.gmt)
        var random = SeededGenerator(state: 2027)
        func at(_ date: LocalDate, _ minutes: Int) -> Date {
            zone.firstInstant(
                atOrAfter: LocalDateTime(date: date, time: TimeOfDay(secondsSinceMidnight: minutes * 60) ?? .startOfDay)
            )
        }
        let first = LocalDate(iso: "2027-01-01") ?? LocalDate(dayNumber: 0)
        let context = ChangeContext(actor: "facilities", now: at(first.adding(days: -10), 600), clockTrusted: true)
        var badges: [(number: String, from: LocalDate?, until: LocalDate?)] = []
        for index in 0..<40 {
            let profile = index < 4 ? "staff" : index < 12 ? "member" : "visitor"
            let holder = try store.addHolder(name: "Holder \(index)", profile: profile, context)
            let number = "20000000\(10 + index)"
            _ = try store.assignBadge(try BadgeID(parsing: number), to: holder.id, context)
            if profile == "visitor" {
                // Registered for two weeks of the month, some for the first half, some for the second.
                let start = first.adding(days: index % 2 == 0 ? 3 : 16)
                _ = try store.addRegistration(
                    holder: holder.id, from: at(start, 0), until: at(start.adding(days: 14), 0), context)
                badges.append((number, start, start.adding(days: 13)))
            } else {
                if profile == "member" {  // members register too: for the whole month
                    _ = try store.addRegistration(
                        holder: holder.id, from: at(first, 0), until: at(first.adding(days: 31), 0), context)
                }
                badges.append((number, nil, nil))
            }
        }
        let policy = AccessPolicy(calendar: OpeningCalendar(zone: zone))
        var records: [EventRecord] = []
        for offset in 0..<31 {
            let day = first.adding(days: offset)
            let weekend = day.weekday == .saturday || day.weekday == .sunday
            let visits = weekend ? Int.random(in: 0...3, using: &random) : Int.random(in: 25...60, using: &random)
            var reads: [(Date, String)] = []
            for _ in 0..<visits {
                // Arrivals peak at 8–10 and after lunch; a few try early or late.
                let hour =
                    [6, 7, 8, 8, 8, 9, 9, 9, 10, 11, 12, 13, 13, 14, 15, 16, 19, 20, 21].randomElement(
                        using: &random) ?? 9
                let minute = hour * 60 + Int.random(in: 0..<60, using: &random)
                // Mostly people whose registration covers the day; now and then one who forgot, or a stranger.
                let expected = badges.filter { badge in
                    guard let from = badge.from, let until = badge.until else { return true }
                    return from <= day && day <= until
                }
                let roll = Int.random(in: 0..<20, using: &random)
                let number =
                    roll == 0
                    ? "99990000\(Int.random(in: 10...99, using: &random))"
                    : roll == 1
                        ? (badges.randomElement(using: &random) ?? badges[0]).number
                        : (expected.randomElement(using: &random) ?? badges[0]).number
                reads.append((at(day, minute), number))
            }
            for (time, number) in reads.sorted(by: { $0.0 < $1.0 }) {
                let fingerprint = try store.fingerprint(of: try BadgeID(parsing: number))
                let decision = policy.decide(
                    try store.credential(for: fingerprint), at: time, mode: .normal, clockTrusted: true)
                records.append(.decision(decision, badge: fingerprint, reader: "entry", at: time, clockTrusted: true))
            }
            if offset % 9 == 4 {
                records.append(
                    EventRecord(
                        time: at(day, 17 * 60 + 5), kind: .doorHeldOpen, details: "open for 30 s",
                        clockTrusted: true))
            }
        }
        records.append(
            EventRecord(
                time: at(first.adding(days: 20), 23 * 60 + 40), kind: .doorForced,
                details: "opened without a grant or an exit request", clockTrusted: true))
        records.sort { $0.time < $1.time }
        try store.append(records)
        try store.checkpoint(kind: .manual, now: at(first.adding(days: 31), 0))
        print("usage: \(records.count) events")
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
