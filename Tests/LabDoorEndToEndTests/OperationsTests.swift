import Foundation
import LabDoorCore
import LabDoorProtocol
import LabDoorStore
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("labdoord operations: systemd, disk full, metrics, reload, safe state", .serialized, .timeLimit(.minutes(5)))
struct OperationsTests {
    @Test("READY=1 and watchdog pings reach $NOTIFY_SOCKET")
    func systemdNotify() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        let path = d.dir.appendingPathComponent("notify.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in Array(path.utf8).enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try d.start(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"])
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !(messages.contains { $0.contains("READY=1") } && messages.contains { $0 == "WATCHDOG=1" }) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
        #expect(messages.contains { $0.hasPrefix("READY=1\nSTATUS=door locked") }, "\(messages)")
        #expect(messages.contains("WATCHDOG=1"), "\(messages)")
    }

    @Test(
        "with the disk full the daemon keeps deciding, alarms log_degraded, and writes the events once it can",
        .enabled(if: getuid() == 0))
    func diskFull() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        let state = d.dir.appendingPathComponent("state").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try FailureTestsSupport.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", state])
        defer { try? FailureTestsSupport.run("/bin/umount", ["-l", state]) }
        try d.start()
        try d.ctlOK(["holder", "add", "--name", "Sanna", "--profile", "staff"])
        try d.ctlOK(["badge", "assign", "1000000003", "--holder", "1"])
        // Fill the filesystem.
        let filler = "\(state)/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        let block = Data(repeating: 0x55, count: 64 * 1024)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()
        let committedBefore = d.lastSeq

        // Badges are still decided and the door still opens.
        for i in 0..<30 {
            try d.badge("1000000003")
            try d.waitForOutput("door: led=green reason=granted", count: i + 1)
        }
        try d.waitFor("the log_degraded alarm") {
            ((try? String(contentsOfFile: d.alarmsFile, encoding: .utf8)) ?? "").contains("log_degraded")
        }
        let status = try JSONValue.parse(try d.ctlOK(["status", "--format", "json"]))
        #expect(status["log"]?["degraded"]?.boolValue == true)
        #expect((status["log"]?["pending"]?.intValue ?? 0) > 0)

        // Space again: everything buffered is written, in order — the log says when writing failed, then the
        // decisions, then that it recovered — and the log verifies.
        try FileManager.default.removeItem(atPath: filler)
        try d.waitFor("the log_degraded recovered event", timeout: 15) {
            try d.events().contains {
                $0.record.kind == .logDegraded && $0.record.details?.contains("recovered") == true
            }
        }
        let written = try d.events().filter { $0.seq > committedBefore }
        let degraded = written.filter { $0.record.kind == .logDegraded }
        #expect(degraded.map { $0.record.details?.contains("failing") == true } == [true, false], "\(degraded)")
        #expect(degraded.last?.record.details?.contains("recovered") == true)
        let decisions = written.filter { $0.record.kind == .badgeDecision }
        #expect(decisions.count == 30)
        let failing = try #require(degraded.first)
        let recovered = try #require(degraded.last)
        let lastDecision = try #require(decisions.last)
        #expect(failing.seq < lastDecision.seq && lastDecision.seq < recovered.seq)
        #expect(try d.stop() == 0)
        #expect(try Binaries.run("labdoorctl", ["audit", "verify", "--db", d.database]).status == 0)
    }

    @Test("metrics are written to a textfile-collector file")
    func metrics() throws {
        let dir = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("labdoor.prom").path
        let d = try DaemonHarness(extra: "[metrics]\ntextfile = \"\(file)\"\n")
        defer { d.cleanUp() }
        try d.start()
        try d.waitFor("the metrics file") { FileManager.default.fileExists(atPath: file) }
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("labdoor_relay_unlocked 0"))
        #expect(text.contains("labdoor_reader_up{reader=\"entry\"} 1"))
        #expect(text.contains("labdoor_decisions_total{reason=\"granted\"} 0"))
        // node_exporter's textfile collector runs as another user: the file is world-readable.
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o644)
    }

    @Test("a valid reload applies new timing; --safe-state drives the relay locked")
    func reloadAndSafeState() throws {
        let d = try DaemonHarness(unlockSeconds: 60)
        defer { d.cleanUp() }
        try d.start()
        let text = try String(contentsOfFile: d.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "unlock_seconds = 60", with: "unlock_seconds = 1").write(
            toFile: d.configPath, atomically: true, encoding: .utf8)
        let before = d.lastSeq
        kill(d.process?.processIdentifier ?? 0, SIGHUP)
        let reload = try d.waitForEvent(.configReloaded, after: before)
        #expect(reload.record.details?.contains(#""ok":true"#) == true)
        try d.ctlOK(["door", "simulate", "exit"])
        try d.waitForOutput("door: relay=locked reason=timeout", timeout: 5)

        let safe = try Binaries.run("labdoord", ["--safe-state", "--config", d.configPath])
        #expect(safe.status == 0)
        #expect(safe.stdout == "door: relay=locked reason=safe_state\n")
    }

    @Test("a damaged database is refused: exit 78, alarm, relay locked")
    func damagedDatabase() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        let state = d.dir.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 8192).write(to: state.appendingPathComponent("labdoor.db"))
        let result = try Binaries.run("labdoord", ["--config", d.configPath])
        #expect(result.status == 78)
        #expect(result.stdout == "door: relay=locked reason=start\n")
        #expect(result.stderr.contains("the door stays locked"))
        #expect(((try? String(contentsOfFile: d.alarmsFile, encoding: .utf8)) ?? "").contains("log_degraded"))
    }
}

extension OperationsTests {
    @Test("damage past the schema: the daemon is ready without reading the whole file; its background check alarms")
    func damagedPage() throws {
        let state = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: state) }
        let bulk = try Binaries.run("labdoor-logwriter", ["bulk", state.path, "3000"])
        #expect(bulk.status == 0, "\(bulk.stderr)")
        let database = state.appendingPathComponent("labdoor.db").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: database)[.size] as? Int)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: database))
        try handle.seek(toOffset: UInt64(size / 2 / 4096 * 4096))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
        try handle.close()

        let d = try DaemonHarness(state: state)
        defer { d.cleanUp() }
        try d.start()
        try d.waitFor("the integrity alarm", timeout: 20) {
            ((try? String(contentsOfFile: d.alarmsFile, encoding: .utf8)) ?? "").contains("integrity check")
        }
        // Still serving, the relay locked.
        #expect(try d.ctlOK(["door", "status"]).contains("locked"))
        #expect(try d.stop() == 0)
    }

    @Test("a lost database (the keys are there) is refused — exit 78, alarm, relay locked — until labdoord --init")
    func lostDatabase() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        #expect(try d.stop() == 0)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: d.database + suffix) }
        let refused = try Binaries.run("labdoord", ["--config", d.configPath])
        #expect(refused.status == 78)
        #expect(refused.stdout == "door: relay=locked reason=start\n")
        #expect(refused.stderr.contains("was lost or replaced") && refused.stderr.contains("labdoord --init"))
        #expect(!FileManager.default.fileExists(atPath: d.database), "the refused start created a database")
        #expect(((try? String(contentsOfFile: d.alarmsFile, encoding: .utf8)) ?? "").contains("log_degraded"))

        let initialized = try Binaries.run("labdoord", ["--init", "--config", d.configPath])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(initialized.stdout.contains("a new event log begins"))
        let again = try Binaries.run("labdoord", ["--init", "--config", d.configPath])
        #expect(again.status == 1 && again.stderr.contains("never replaces one"), "\(again.stderr)")
        let restarted = try DaemonHarness.restart(d)
        defer { restarted.cleanUp() }
        let first = try #require(try restarted.events().first)
        #expect(first.seq == 1 && first.record.kind == .logInitialized)
    }
}

extension OperationsTests {
    @Test(
        "messages that said the wrong thing: lock file, permissions, busy, stale last_seq", .enabled(if: getuid() == 0))
    func misleadingMessages() throws {
        // A lock file that cannot be opened is not "another labdoord is running".
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        let state = d.dir.appendingPathComponent("state")
        try FileManager.default.createDirectory(
            at: state.appendingPathComponent("labdoord.lock"), withIntermediateDirectories: true)
        let locked = try Binaries.run("labdoord", ["--config", d.configPath])
        #expect(locked.status == 78)
        #expect(locked.stderr.contains("labdoord.lock") && locked.stderr.contains("directory"), "\(locked.stderr)")
        #expect(!locked.stderr.contains("another labdoord"), "\(locked.stderr)")
        try FileManager.default.removeItem(at: state.appendingPathComponent("labdoord.lock"))

        // status's last_seq is the log's last seq, changes included.
        try d.start()
        try d.ctlOK(["holder", "add", "--name", "Sanna", "--profile", "staff"])
        try d.ctlOK(["badge", "assign", "1000000003", "--holder", "1"])
        let status = try JSONValue.parse(try d.ctlOK(["status", "--format", "json"]))
        #expect(status["log"]?["last_seq"]?.intValue == d.lastSeq, "\(status)")

        // A database the caller may not read is "permission denied", not "does not exist".
        let (ctl, binaries) = try Binaries.copyForAnyUser("labdoorctl")
        defer { try? FileManager.default.removeItem(at: binaries) }
        try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: d.dir.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: state.path)
        let denied = try Binaries.run(
            "/usr/sbin/runuser", ["-u", "nobody", "--", ctl, "events", "--db", d.database], absolute: true)
        #expect(denied.status == 2)
        #expect(
            denied.stderr.contains("permission denied") && !denied.stderr.contains("does not exist"), "\(denied.stderr)"
        )

        // A daemon that is busy says so (exit 3), not "closed the connection".
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<32 { if let fd = DaemonTests.connect(d.socket) { held.append(fd) } }
        #expect(held.count == 32)
        let busy = try d.ctl(["status"])
        #expect(busy.status == 3 && busy.stderr.contains("32 connections"), "\(busy.status): \(busy.stderr)")
        #expect(!busy.stderr.contains("closed the connection"))
    }
}

extension OperationsTests {
    @Test("started by hand with umask 000, the daemon still keeps its files private")
    func permissionsWhateverTheUmask() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        // A database made earlier with a careless umask, then the daemon started with umask 000.
        try d.start(environment: [:], umask: 0)
        try d.ctlOK(["holder", "add", "--name", "Aino", "--profile", "staff"])
        let state = d.dir.appendingPathComponent("state").path
        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode(state) == 0o750)
        for file in ["labdoor.db", "labdoor.db-wal", "labdoor.db-shm", "labdoord.lock", "labdoord.running"] {
            let path = "\(state)/\(file)"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let bits = try mode(path)
            #expect(bits & 0o007 == 0, "\(file) is open to everyone: \(String(bits, radix: 8))")
        }
        #expect(try mode(d.database) == 0o640)
        #expect(try mode("\(state)/keys") == 0o700)
        for key in ["badge-secret", "log-signing.ed25519"] { #expect(try mode("\(state)/keys/\(key)") == 0o600) }
    }
}

extension OperationsTests {
    @Test("with [alarms] socket the daemon hands each alarm's JSON to that socket (the alarm service's)")
    func alarmSocket() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        let socket = d.dir.appendingPathComponent("alarm.sock").path
        let config = try String(contentsOfFile: d.configPath, encoding: .utf8)
        let alarms = try #require(config.range(of: #"command = "cat >> "#))
        let line = config[alarms.lowerBound...].prefix { $0 != "\n" }
        try config.replacingOccurrences(of: String(line), with: "socket = \"\(socket)\"").write(
            toFile: d.configPath, atomically: true, encoding: .utf8)
        // The alarm service's side: a listening socket that takes one line per connection.
        let listener = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        let bound = try UnixSocket.withAddress(socket) { address, length in bind(listener, address, length) }
        #expect(bound == 0 && listen(listener, 4) == 0)
        let received = Mutex<[String]>([])
        let service = Thread {
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { return }
                let channel = LineChannel(fd: fd)
                if case .line(let bytes) = channel.receiveLine(limit: 65_536, timeout: .seconds(5)) {
                    received.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) }
                }
            }
        }
        service.start()
        try d.start()
        try d.ctlOK(["door", "simulate", "contact=open"])  // opened while locked: door_forced
        try d.waitFor("the alarm on the alarm socket") {
            received.withLock { $0.contains { $0.contains("door_forced") } }
        }
        let alarm = try JSONValue.parse(try #require(received.withLock { $0.first { $0.contains("door_forced") } }))
        #expect(alarm["kind"]?.stringValue == "door_forced" && alarm["site"]?.stringValue == "Työ 2.0 Lab")
        #expect(!FileManager.default.fileExists(atPath: d.alarmsFile), "the command hook ran as well")
        shutdown(listener, Int32(SHUT_RDWR))
    }
}

enum FailureTestsSupport {
    static func run(_ tool: String, _ arguments: [String]) throws {
        let result = try Binaries.run(tool, arguments, absolute: true)
        guard result.status == 0 else { throw HarnessError(message: "\(tool) \(arguments): \(result.stderr)") }
    }
}
