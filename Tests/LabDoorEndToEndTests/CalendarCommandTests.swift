import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("labdoorctl hours and labdoord --check-config, run as binaries", .timeLimit(.minutes(3)))
struct CalendarCommandTests {
    @Test("the 2027 calendar in JSON has 365 days in the documented shape")
    func calendar2027() throws {
        let result = try Binaries.run(
            "labdoorctl", ["hours", "calendar", "--from", "2027-01-01", "--to", "2027-12-31", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let days = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(days.count == 365)
        for day in days {
            #expect(Set(day.keys) == ["date", "weekday", "open", "reason", "holiday", "hours", "note"])
        }
        let lines = result.stdout.split(separator: "\n")
        #expect(
            lines.contains(
                #"{"date":"2027-06-25","weekday":"Fri","open":false,"reason":"closed_holiday","holiday":"Midsummer Eve","hours":[],"note":null},"#
            ))
        #expect(
            lines.contains(
                #"{"date":"2027-06-24","weekday":"Thu","open":true,"reason":null,"holiday":null,"hours":[{"from":"07:00","to":"20:00"}],"note":null},"#
            ))
        let open = days.filter { $0["open"] as? Bool == true }
        // 261 weekdays in 2027, minus the 8 holidays that fall on one (1 and 6 Jan, 26 and 29 Mar, 6 May,
        // 25 Jun, 6 and 24 Dec).
        #expect(open.count == 253)
        let holidays = days.compactMap { $0["holiday"] as? String }
        #expect(holidays.count == 15)
    }

    @Test("the calendar honours --config")
    func calendarWithConfig() throws {
        let dir = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("labdoor.toml")
        try "[hours]\nholidays = \"none\"\nsaturday = [\"10:00-14:00\"]\n".write(
            to: config, atomically: true, encoding: .utf8)
        let result = try Binaries.run(
            "labdoorctl",
            [
                "hours", "calendar", "--from", "2027-06-25", "--to", "2027-06-26", "--format", "csv", "--config",
                config.path,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout
                == "date,weekday,open,reason,holiday,hours,note\n2027-06-25,Fri,true,,,07:00-20:00,\n2027-06-26,Sat,true,,,10:00-14:00,\n"
        )
    }

    @Test(
        "bad calendar arguments are refused with what to write",
        arguments: [
            (["--from", "2027-1-1", "--to", "2027-12-31"], "write YYYY-MM-DD"),
            (["--from", "2027-12-31", "--to", "2027-01-01"], "is after --to"),
            (["--from", "2027-01-01", "--to", "2047-01-01"], "longer than"),
        ])
    func badArguments(arguments: [String], message: String) throws {
        let result = try Binaries.run("labdoorctl", ["hours", "calendar"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("labdoord --check-config names every problem of the file, not only the first")
    func checkConfigReportsAll() throws {
        let dir = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("labdoor.toml")
        try
            "[site]\nname = \"\"\n[hours]\nfriday = [\"07:00-25:00\"]\n[door]\nunlock_seconds = 0\n[clock]\ntrust = \"maybe\"\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let check = try Binaries.run("labdoord", ["--check-config", config.path])
        #expect(check.status != 0)
        for (line, key) in [(2, "site.name"), (4, "hours.friday"), (6, "door.unlock_seconds"), (8, "clock.trust")] {
            #expect(check.stderr.contains("labdoor.toml:\(line): \(key):"), "\(check.stderr)")
        }
    }

    @Test("a broken configuration is reported with file, line and key by both programs")
    func brokenConfig() throws {
        let dir = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("labdoor.toml")
        try "[site]\nname = \"Lab\"\n\n[hours]\nfriday = [\"07:00-25:00\"]\n".write(
            to: config, atomically: true, encoding: .utf8)
        let check = try Binaries.run("labdoord", ["--check-config", config.path])
        #expect(check.status != 0)
        #expect(
            check.stderr.contains("\(config.path):5: hours.friday: \"07:00-25:00\" is not an opening interval"),
            "\(check.stderr)")
        let calendar = try Binaries.run(
            "labdoorctl", ["hours", "calendar", "--from", "2027-01-01", "--to", "2027-01-02", "--config", config.path])
        #expect(calendar.status != 0)
        #expect(calendar.stderr.contains("\(config.path):5: hours.friday"), "\(calendar.stderr)")
    }

    @Test("a valid configuration passes --check-config")
    func validConfig() throws {
        let dir = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("labdoor.toml")
        try "[site]\nname = \"Lab\"\n".write(to: config, atomically: true, encoding: .utf8)
        let check = try Binaries.run("labdoord", ["--check-config", config.path])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("OK"))
    }

    @Test("the demo runs the real daemon: badges typed on standard input are decided, the socket answers")
    func demo() throws {
        let process = Process()
        process.executableURL = Binaries.directory.appendingPathComponent("labdoord")
        process.arguments = ["--demo"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        let log = Pipe()
        process.standardError = log
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        input.fileHandleForWriting.write(Data("1000000003\n1000000004\n9999999999\n".utf8))
        // The socket path is in the banner; wait for it to answer.
        var socket: String?
        let deadline = Date().addingTimeInterval(20)
        var text = ""
        while Date() < deadline {
            text += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            if socket == nil,
                let line = text.split(separator: "\n").first(where: {
                    $0.contains("--socket") && $0.contains(" status")
                })
            {
                socket = line.split(separator: " ").first { $0.hasSuffix("control.sock") }.map(String.init)
            }
            if text.contains("reason=unknown_badge") { break }
        }
        #expect(text.contains("1000000001  Aino Visitor (visitor)"))
        #expect(text.contains("door: relay=unlocked reason=granted holder=3"))
        #expect(text.contains("door: led=red reason=holder_suspended"))
        let status = try Binaries.run("labdoorctl", ["--socket", try #require(socket), "status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("Reader:  entry (stdin)"))
        // Every command the banner offers runs as pasted (the real path of labdoorctl, the demo's socket).
        let pasted = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("/") && $0.contains("labdoorctl --socket ") }
        #expect(pasted.count >= 6, "\(text)")
        for command in pasted {
            let ran = try Binaries.run("/bin/sh", ["-c", command], absolute: true)
            let allowed: Set<Int32> = command.contains(" check ") ? [0, 1] : [0]  // check: 1 when it would deny
            #expect(allowed.contains(ran.status), "\(command): \(ran.stderr)")
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The daemon's log is told apart from the door's lines: "log", the site-zone time with its offset.
        let logged = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n")
        #expect(!logged.isEmpty)
        #expect(
            logged.allSatisfy {
                $0.range(of: #"^log \d\d:\d\d:\d\d[+-]\d\d:\d\d "#, options: .regularExpression) != nil
            }, "\(logged)")
    }
}
