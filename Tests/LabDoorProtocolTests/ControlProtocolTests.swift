import Foundation
import LabDoorCore
import LabDoorProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("The control protocol: envelope, versions, coding, framing, documentation")
struct ControlProtocolTests {
    @Test("results encode with every key in declaration order, nil as null, byte for byte")
    func goldenEncoding() throws {
        let door = DoorStatus(
            backend: "sim", relay: "locked", contact: "closed", mode: "normal", holdUntil: nil, failMode: "secure")
        #expect(
            try ControlEncoder().encode(door).description
                == #"{"backend":"sim","relay":"locked","contact":"closed","mode":"normal","hold_until":null,"fail_mode":"secure"}"#
        )
        let holder = HolderInfo(
            id: 7, name: "Äijälä \"Aki\"", profile: "member", organisation: nil, email: "aki@vm.fi", suspended: false)
        #expect(
            try ControlEncoder().encode([holder]).description
                == #"[{"id":7,"name":"Äijälä \"Aki\"","profile":"member","organisation":null,"email":"aki@vm.fi","suspended":false,"created_at":null,"removed_at":null}]"#
        )
        #expect(
            try ControlEnvelope.request(DoorUnlockCommand(seconds: 60), id: 3).description
                == #"{"v":2,"id":3,"cmd":"door.unlock","args":{"for":60}}"#)
        #expect(
            try ControlEnvelope.request(DoorLockCommand(), id: 4).description
                == #"{"v":2,"id":4,"cmd":"door.lock","args":{}}"#)
        #expect(try ControlEncoder().encode(FollowItem.heartbeat).description == #"{"heartbeat":true}"#)
    }

    @Test("what the client sends, the daemon decodes to the same command")
    func roundTrip() throws {
        func check<C: ControlCommand>(_ command: C) throws {
            let request = try ControlEnvelope.request(command, id: 1)
            let header = try RequestHeader(parsing: try JSONValue.parse(request.description))
            #expect(header.command == C.name)
            #expect(try ControlEnvelope.arguments(header.arguments, as: C.self) == command)
        }
        try check(HolderAddCommand(name: "Sanna Ojala", profile: "visitor", organisation: nil, email: "s@x.fi"))
        try check(BadgeAssignCommand(number: "04:A2:3F:1B", holder: 17))
        try check(RegistrationAddCommand(holder: 3, from: "2027-01-05T09:00", until: "2027-01-05T17:00"))
        try check(DoorUnlockCommand())
        try check(DoorUnlockCommand(seconds: 90))
        try check(DoorLockdownCommand(on: true))
        try check(EventsFollowCommand(after: 1234))
        try check(AuditPurgeCommand(before: "2026-01-01"))
    }

    @Test("arguments of the wrong type, missing, null or out of range are refused, naming the argument")
    func strictDecoding() throws {
        let cases: [(String, String)] = [
            (#"{"for":"60"}"#, "args.for: expected an integer, found a string"),
            (#"{"for":[60]}"#, "args.for: expected an integer, found an array"),
            (#"{"number":"1234"}"#, "args.holder: missing"),
            (#"{"number":null,"holder":1}"#, "args.number: missing"),
        ]
        for (arguments, expected) in cases {
            let value = try JSONValue.parse(arguments)
            do {
                if arguments.contains("for") {
                    _ = try ControlEnvelope.arguments(value, as: DoorUnlockCommand.self)
                } else {
                    _ = try ControlEnvelope.arguments(value, as: BadgeAssignCommand.self)
                }
                Issue.record("accepted \(arguments)")
            } catch {
                #expect(error.code == .badRequest)
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
        // Int32 arguments must fit: a 64-bit value is out of range, not truncated.
        struct Small: Codable { var n: Int32 }
        #expect(throws: DecodingError.self) {
            try ControlDecoder().decode(Small.self, from: .object([("n", .int(Int64(Int32.max) + 1))]))
        }
    }

    @Test(
        "a request of another version is refused with bad_version saying which side to upgrade",
        arguments: [
            (#"{"v":1,"id":9,"cmd":"status"}"#, "labdoorctl speaks protocol version 1", "upgrade labdoorctl"),
            (#"{"v":3,"id":9,"cmd":"status"}"#, "labdoorctl speaks protocol version 3", "upgrade labdoord"),
            (#"{"id":9,"cmd":"status"}"#, "labdoorctl sent no protocol version", "upgrade labdoorctl"),
        ])
    func versionMismatch(request: String, says: String, upgrade: String) throws {
        let parsed = try JSONValue.parse(request)
        do {
            _ = try RequestHeader(parsing: parsed)
            Issue.record("accepted \(request)")
        } catch {
            #expect(error.code == .badVersion)
            #expect(error.message.contains(says) && error.message.contains(upgrade), "\(error.message)")
        }
    }

    @Test("a response from a daemon of another version is reported from the client's side")
    func responseVersion() throws {
        let old = try JSONValue.parse(
            #"{"v":1,"id":1,"ok":false,"error":{"code":"bad_version","message":"upgrade labdoorctl"}}"#)
        do {
            _ = try ControlEnvelope.result(of: old, for: StatusCommand.self)
            Issue.record("accepted a v1 response")
        } catch {
            #expect(error.code == .badVersion)
            #expect(
                error.message.contains("labdoord speaks protocol version 1")
                    && error.message.contains("upgrade labdoord"))
        }
        let refused = ControlEnvelope.failure(
            id: .int(1), ControlError(.forbidden, "permission denied: join labdoor-admin"))
        do {
            _ = try ControlEnvelope.result(of: refused, for: StatusCommand.self)
        } catch {
            #expect(error.code == .forbidden && error.message == "permission denied: join labdoor-admin")
        }
    }

    @Test("envelopes that are not objects, lack a command or have non-object args are bad requests")
    func malformedEnvelopes() throws {
        for request in [#"[1]"#, #"{"v":2}"#, #"{"v":2,"cmd":""}"#, #"{"v":2,"cmd":"status","args":[1]}"#] {
            #expect(throws: ControlError.self) { try RequestHeader(parsing: try JSONValue.parse(request)) }
        }
    }

    @Test("the role check: audit reads, admin changes, nobody does nothing")
    func roles() throws {
        try StatusCommand.authorize(.audit, user: "a")
        try DoorUnlockCommand.authorize(.admin, user: "a")
        #expect(throws: ControlError.self) { try DoorUnlockCommand.authorize(.audit, user: "a") }
        #expect(throws: ControlError.self) { try StatusCommand.authorize(.none, user: "a") }
        for command in ControlCommands.all {
            #expect(command.role != .none, "\(command.name) would be open to everyone")
        }
    }

    @Test("docs/control.md lists every command with its role")
    func documented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/control.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        var documented: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3, cells[0].hasPrefix("`"), cells[0].hasSuffix("`") else { continue }
            documented[String(cells[0].dropFirst().dropLast())] = cells[2]
        }
        for command in ControlCommands.all {
            #expect(documented[command.name] != nil, "docs/control.md has no row for \(command.name)")
            #expect(documented[command.name] == command.role.description, "\(command.name): role")
        }
        #expect(
            Set(documented.keys) == Set(ControlCommands.all.map { $0.name }), "docs/control.md lists unknown commands")
    }

    @Test("line framing: lines split across sends or packed into one arrive whole; too long and closed are told")
    func framing() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        let reader = LineChannel(fd: fds[0])
        let writer = fds[1]
        func write(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { send(writer, $0.baseAddress, $0.count, 0) }
        }
        write(#"{"a":"#)
        write("1}\n{\"b\":2}\n{\"c\"")
        #expect(reader.receiveLine(limit: 100) == .line(Array(#"{"a":1}"#.utf8)))
        #expect(reader.receiveLine(limit: 100) == .line(Array(#"{"b":2}"#.utf8)))
        write(":3}\n")
        #expect(reader.receiveLine(limit: 100) == .line(Array(#"{"c":3}"#.utf8)))
        write(String(repeating: "x", count: 200))
        #expect(reader.receiveLine(limit: 100) == .tooLong)
        close(writer)
        let tail = LineChannel(fd: dup(fds[0]))
        reader.close()
        _ = tail.receiveLine(limit: 1000)  // the rest of the long line, then the end
        #expect(tail.receiveLine(limit: 1000) == .closed)
    }

    @Test("socket paths longer than sun_path are refused with ENAMETOOLONG, never truncated")
    func longSocketPath() throws {
        let long = "/tmp/" + String(repeating: "s", count: UnixSocket.maximumPathLength)
        do {
            _ = try UnixSocket.connect(long)
            Issue.record("connected to a truncated path")
        } catch {
            #expect(error.errno == ENAMETOOLONG && error.description.contains("too long"))
        }
    }
}
