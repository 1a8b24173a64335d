import Foundation
import LabDoorCore
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An auditor's whole job through the daemon, as a user in `labdoor-audit` who cannot read the state directory
/// (as on a device: `0750 labdoor:labdoor`), and the CLI's terminal behaviour (progress bars, pager).
@Suite("labdoorctl for auditors, through a running labdoord", .serialized)
struct AuditorTests {
    @Test(
        "an auditor without file access: events, report (JSON = SVG = counts from events), snapshot + verify, export; door unlock refused",
        .enabled(if: getuid() == 0))
    func auditorWithoutFileAccess() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        try d.ctlOK(["holder", "add", "--name", "Aino Virtanen", "--profile", "staff"])
        try d.ctlOK(["badge", "assign", "1000000007", "--holder", "1"])
        for badge in ["1000000007", "5550000001", "5550000002", "1000000007"] { try d.badge(badge) }
        try d.waitFor("four decisions") {
            try d.events().filter { $0.record.kind == .badgeDecision }.count == 4
        }

        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: d.dir.path)
        let state = d.dir.appendingPathComponent("state").path
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: state)
        let (ctl, binaries) = try Binaries.copyForAnyUser("labdoorctl")
        defer { try? FileManager.default.removeItem(at: binaries) }
        let users = try TemporaryUsers()
        defer { users.remove() }
        let auditor = try users.add(group: "labdoor-audit")
        let work = try Binaries.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: work.path)
        func run(_ arguments: [String]) throws -> Binaries.Result {
            try Binaries.run(
                "/usr/sbin/runuser",
                ["-u", auditor, "--", ctl, "--socket", d.socket, "--config", d.configPath] + arguments,
                absolute: true)
        }

        // The file itself is closed to them.
        let direct = try run(["events", "--db", "\(state)/labdoor.db"])
        #expect(direct.status == 2 && direct.stderr.contains("permission"), "\(direct.stderr)")

        // events through the daemon: every event, with names; --limit gives the newest.
        let listed = try run(["events", "--format", "json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let events = try array(listed.stdout)
        let decisions = events.filter { $0["kind"] as? String == "badge_decision" }
        #expect(decisions.count == 4)
        #expect(decisions.contains { $0["holder_name"] as? String == "Aino Virtanen" })
        let newest = try array(try run(["events", "--limit", "2", "--format", "json"]).stdout)
        #expect(newest.compactMap { $0["seq"] as? Int } == events.suffix(2).compactMap { $0["seq"] as? Int })
        let table = try run(["events", "--reason", "unknown_badge"])
        // The header, two rows, and the end of the last line.
        #expect(table.status == 0 && table.stdout.components(separatedBy: "\n").count == 4, "\(table.stdout)")
        let header = table.stdout.components(separatedBy: "\n")[0]
        let row = table.stdout.components(separatedBy: "\n")[1]
        // Aligned: each header word starts where its column starts, and times carry their offset.
        for name in ["KIND", "OUTCOME", "READER", "HOLDER", "REASON"] {
            let column = try #require(header.range(of: name)).lowerBound.utf16Offset(in: header)
            let before = row.utf16.index(row.utf16.startIndex, offsetBy: column - 2)
            #expect(row.utf16[before..<row.utf16.index(before, offsetBy: 2)].elementsEqual("  ".utf16), "\(name)")
        }
        #expect(row.range(of: #"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d"#, options: .regularExpression) != nil)

        // report: the JSON's numbers are the events' counts, and the SVG's are the JSON's.
        let svgPath = work.appendingPathComponent("report.svg").path
        let reported = try run(["report", "--format", "json", "--svg", svgPath])
        #expect(reported.status == 0, "\(reported.stderr)")
        let report = try object(reported.stdout)
        let granted = decisions.filter { $0["outcome"] as? String == "granted" }.count
        let denied = decisions.filter { $0["outcome"] as? String == "denied" }.count
        #expect(report["granted"] as? Int == granted && report["denied"] as? Int == denied)
        let days = try #require(report["days"] as? [[String: Any]])
        #expect(days.count == 30)
        #expect(days.reduce(0) { $0 + ($1["granted"] as? Int ?? 0) } == granted)
        let reasons = try #require(report["denials"] as? [[String: Any]])
        let unknown = decisions.filter { $0["reason"] as? String == "unknown_badge" }.count
        #expect(reasons.first { $0["reason"] as? String == "unknown_badge" }?["count"] as? Int == unknown)
        let heat = try #require(report["heatmap"] as? [[String: Any]])
        #expect(heat.flatMap { $0["hours"] as? [Int] ?? [] }.reduce(0, +) == granted)
        let svg = try SVGNumbers(path: svgPath)
        #expect(svg.root["data-granted"] == "\(granted)" && svg.root["data-denied"] == "\(denied)")
        #expect(svg.days.count == days.count)
        for (drawn, day) in zip(svg.days, days) {
            #expect(drawn["data-date"] == day["date"] as? String)
            #expect(drawn["data-granted"] == "\(day["granted"] as? Int ?? -1)")
            #expect(drawn["data-denied"] == "\(day["denied"] as? Int ?? -1)")
        }
        #expect(svg.cells.count == 7 * 24)
        #expect(svg.denials.map { $0["data-reason"] ?? "" } == reasons.map { $0["reason"] as? String ?? "" })
        let terminal = try run(["report"])
        #expect(terminal.status == 0, "\(terminal.stderr)")
        #expect(terminal.stdout.components(separatedBy: "\n").allSatisfy { $0.count <= 80 }, "\(terminal.stdout)")

        // snapshot, then verify it offline with the public key kept apart.
        let pubkey = try run(["audit", "pubkey"])
        #expect(pubkey.status == 0, "\(pubkey.stderr)")
        let keyFile = work.appendingPathComponent("site.pub").path
        try pubkey.stdout.write(toFile: keyFile, atomically: true, encoding: .utf8)
        let snapshotPath = work.appendingPathComponent("copy.db").path
        let snapshot = try run(["audit", "snapshot", snapshotPath])
        #expect(snapshot.status == 0 && snapshot.stdout.contains("sha256"), "\(snapshot.stderr)")
        let verified = try run(["audit", "verify", "--db", snapshotPath, "--pubkey", keyFile])
        #expect(verified.status == 0 && verified.stdout.hasPrefix("OK: "), "\(verified.stdout)\(verified.stderr)")
        let again = try run(["audit", "snapshot", snapshotPath])
        #expect(again.status == 2 && again.stderr.contains("exists"), "\(again.stderr)")
        // Without --db and without access to the database, verify checks a fresh snapshot.
        let live = try run(["audit", "verify", "--pubkey", keyFile])
        #expect(live.status == 0 && live.stdout.hasPrefix("OK: "), "\(live.stdout)\(live.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: state).filter { $0.hasPrefix("snapshot-") }
        #expect(leftovers.isEmpty)

        let export = try run(["audit", "export", "--format", "json"])
        #expect(export.status == 0, "\(export.stderr)")
        let exported = try object(export.stdout)
        #expect((exported["events"] as? [[String: Any]])?.count ?? 0 >= events.count)
        #expect((exported["events"] as? [[String: Any]])?.first?["holder_name"] == nil)
        #expect((exported["checkpoints"] as? [String])?.isEmpty == false)
        let checkpoint = try run(["audit", "checkpoint"])
        #expect(checkpoint.status == 0 && checkpoint.stdout.hasPrefix("labdoor-checkpoint-v1 "), "\(checkpoint.stderr)")

        let unlock = try run(["door", "unlock"])
        #expect(unlock.status == 4 && unlock.stderr.contains("labdoor-admin"), "\(unlock.stderr)")
    }

    @Test("a progress bar on a terminal's stderr, none when piped or --quiet; the pager on a terminal, not piped")
    func terminalOnly() throws {
        let d = try DaemonHarness()
        defer { d.cleanUp() }
        try d.start()
        try d.badge("5550000001")
        try d.waitFor("a decision") { try d.events().contains { $0.record.kind == .badgeDecision } }
        let ctl = Binaries.directory.appendingPathComponent("labdoorctl").path
        func underTerminal(_ command: String, environment: [String: String] = [:]) throws -> Binaries.Result {
            // script(1) gives the command a pseudo-terminal for stdin, stdout and stderr.
            try Binaries.run(
                "/usr/bin/script", ["-qec", command, "/dev/null"],
                environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, absolute: true)
        }
        let verify = "\(ctl) audit verify --db \(d.database)"
        let bar = try underTerminal(verify)
        #expect(bar.status == 0 && bar.stdout.contains("verifying [") && bar.stdout.contains("100%"), "\(bar.stdout)")
        let quiet = try underTerminal(verify + " --quiet")
        #expect(quiet.status == 0 && !quiet.stdout.contains("verifying"), "\(quiet.stdout)")
        // export through the daemon knows its total too (the daemon's last seq).
        let export = try underTerminal("\(ctl) audit export --format csv --socket \(d.socket)")
        #expect(
            export.status == 0 && export.stdout.contains("exporting [") && export.stdout.contains("100%"),
            "\(export.stdout)")
        let piped = try Binaries.run("labdoorctl", ["audit", "verify", "--db", d.database])
        #expect(piped.status == 0 && !piped.stderr.contains("verifying"), "\(piped.stderr)")

        let csv = d.dir.appendingPathComponent("bookings.csv").path
        try "email,name,from,until\naino@vm.fi,Aino,2027-01-04,2027-01-08\n".write(
            toFile: csv, atomically: true, encoding: .utf8)
        let importing = try underTerminal("\(ctl) registration import \(csv) --dry-run --socket \(d.socket)")
        #expect(importing.status == 0 && importing.stdout.contains("checking \(csv) …"), "\(importing.stdout)")
        let importPiped = try d.ctl(["registration", "import", csv, "--dry-run"])
        #expect(importPiped.status == 0 && !importPiped.stderr.contains("checking"), "\(importPiped.stderr)")

        let events = "\(ctl) events --socket \(d.socket)"
        let paged = try underTerminal(events, environment: ["PAGER": "sed s/^/PAGED:/"])
        #expect(paged.status == 0 && paged.stdout.contains("PAGED:     SEQ  TIME"), "\(paged.stdout)")
        let direct = try underTerminal(events + " --no-pager", environment: ["PAGER": "sed s/^/PAGED:/"])
        #expect(direct.status == 0 && !direct.stdout.contains("PAGED:"), "\(direct.stdout)")
    }
}

/// The numbers an SVG report carries, read with an XML parser (which also proves it well-formed).
final class SVGNumbers: NSObject, XMLParserDelegate {
    private(set) var root: [String: String] = [:]
    private(set) var days: [[String: String]] = []
    private(set) var cells: [[String: String]] = []
    private(set) var denials: [[String: String]] = []

    init(path: String) throws {
        super.init()
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = self
        guard parser.parse() else {
            throw HarnessError(message: "the SVG is not well-formed XML: \(String(describing: parser.parserError))")
        }
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        switch (name, attributes["class"]) {
        case ("svg", _): root = attributes
        case ("g", "day"?): days.append(attributes)
        case ("rect", "cell"?): cells.append(attributes)
        case ("g", "denial"?): denials.append(attributes)
        default: break
        }
    }
}
