import Foundation
import LabDoorCore
import LabDoorStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Crash safety of the event log", .serialized, .timeLimit(.minutes(5)))
struct CrashTests {
    /// Collects a child's standard output from a background thread.
    final class OutputCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    }

    @Test("SIGKILL at random moments never loses a committed event nor damages the log")
    func killedWriter() throws {
        let dir = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = Binaries.directory.appendingPathComponent("labdoor-logwriter")
        guard FileManager.default.isExecutableFile(atPath: writer.path) else {
            throw Binaries.MissingBinary(path: writer.path)
        }

        var promised: Set<Int64> = []
        var kills = 0
        let deadline = Date().addingTimeInterval(40)
        var generator = SystemRandomNumberGenerator()
        while kills < 40 && Date() < deadline {
            let process = Process()
            process.executableURL = writer
            process.arguments = ["append", dir.path, "1000000"]
            let pipe = Pipe()
            process.standardOutput = pipe
            let output = OutputCollector()
            pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
            try process.run()
            // Let it start and write for a random while, then kill it without warning.
            usleep(UInt32.random(in: 20_000...250_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            pipe.fileHandleForReading.readabilityHandler = nil
            output.append(pipe.fileHandleForReading.readDataToEndOfFile())
            #expect(process.terminationReason == .uncaughtSignal)
            kills += 1

            // Every seq the writer printed had been committed before it printed it.
            for line in output.text.split(separator: "\n") where line.hasPrefix("seq ") {
                if let seq = Int64(line.dropFirst(4)) { promised.insert(seq) }
            }
            // The file is sound (quick_check over every page); the log verifies; nothing promised is gone.
            let store = try LabDoorStore(path: "\(dir.path)/labdoor.db", keysDirectory: "\(dir.path)/keys")
            try store.checkIntegrity()
            let report = try LogVerifier(store: store).verify(publicKey: store.publicKey())
            let present = Set(try store.events().map(\.seq))
            let lost = promised.subtracting(present)
            #expect(lost.isEmpty, "after kill \(kills): committed seqs lost: \(lost.sorted().prefix(10))")
            #expect(report.lastSeq ?? 0 >= promised.max() ?? 0)
        }
        print("crash test: \(kills) SIGKILLs, \(promised.count) committed events checked, none lost")
        #expect(kills >= 10)
        #expect(promised.count > 100, "the writer committed only \(promised.count) events in \(kills) runs")
    }

    @Test("killed while a badge is being decided: every unlock the door performed has its grant in the log")
    func killedWhileDeciding() throws {
        let first = try DaemonHarness(unlockSeconds: 1)
        defer { first.cleanUp() }
        try first.start()
        try first.ctlOK(["holder", "add", "--name", "Sanna", "--profile", "staff"])
        try first.ctlOK(["badge", "assign", "1000000003", "--holder", "1"])
        _ = first.kill9AndCollectOutput()
        var generator = SystemRandomNumberGenerator()
        var unlocks = 0
        var grants = 0
        var lastSeq = try first.events().last?.seq ?? 0
        for kill in 1...30 {
            let d = try DaemonHarness(existing: first.dir)
            try d.start()
            // A read, then SIGKILL 0–20 ms later: around the moment the decision is committed and the relay driven.
            try d.badge("1000000003")
            usleep(UInt32.random(in: 0...20_000, using: &generator))
            let output = d.kill9AndCollectOutput()
            let unlocked = output.components(separatedBy: "door: relay=unlocked reason=granted").count - 1
            // The log, opened read-only after the kill; then the whole chain verifies (every event's hash).
            let events = try d.events().filter { $0.seq > lastSeq }
            let granted = events.count { $0.record.kind == .badgeDecision && $0.record.reason == .granted }
            #expect(
                granted >= unlocked, "kill \(kill): the door unlocked \(unlocked) times, the log has \(granted) grants")
            let verify = try Binaries.run("labdoorctl", ["audit", "verify", "--db", d.database])
            #expect(verify.status == 0, "kill \(kill): \(verify.stderr)")
            unlocks += unlocked
            grants += granted
            lastSeq = try d.events().last?.seq ?? lastSeq
        }
        print("crash test: 30 SIGKILLs around a decision: \(unlocks) unlocks, \(grants) grants committed")
        #expect(unlocks >= 5, "too few kills came after the unlock (\(unlocks)) to say anything")
    }
}
