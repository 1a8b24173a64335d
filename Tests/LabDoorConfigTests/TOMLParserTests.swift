import Testing

@testable import LabDoorConfig

@Suite("TOML parser")
struct TOMLParserTests {
    func parse(_ text: String) throws -> TOMLTable { try TOMLParser.parse(text) }

    func string(_ table: TOMLTable, _ key: String) -> String? {
        if case .string(let s)? = table[key]?.kind { return s }
        return nil
    }

    @Test("strings: escapes, literal, multi-line and line-ending backslash")
    func strings() throws {
        let t = try parse(
            #"""
            a = "tab\there \"q\" \u00E4 \U0001F600"
            b = 'C:\no\escapes'
            c = """
            first
            second"""
            d = """one \
                two"""
            e = '''
            raw \n'''
            f = """quote: "" """
            "quoted key" = 1
            """#)
        #expect(string(t, "a") == "tab\there \"q\" ä 😀")
        #expect(string(t, "b") == #"C:\no\escapes"#)
        #expect(string(t, "c") == "first\nsecond")
        #expect(string(t, "d") == "one two")
        #expect(string(t, "e") == #"raw \n"#)
        #expect(string(t, "f") == #"quote: "" "#)
        #expect(t.keys == ["a", "b", "c", "d", "e", "f", "quoted key"])
    }

    @Test(
        "numbers and booleans",
        arguments: [
            ("1_000", 1000), ("-17", -17), ("+5", 5), ("0xDEAD_beef", 0xDEAD_BEEF), ("0o755", 0o755), ("0b1010", 10),
        ])
    func integers(text: String, expected: Int) throws {
        let t = try parse("n = \(text)")
        guard case .integer(let n)? = t["n"]?.kind else {
            Issue.record("\(text) is not an integer")
            return
        }
        #expect(n == expected)
    }

    @Test("invalid numbers are errors", arguments: ["01", "1__0", "_1", "1_", "0x", "1.", ".5", "1e", "--1"])
    func badNumbers(text: String) {
        #expect(throws: TOMLSyntaxError.self) { try parse("n = \(text)") }
    }

    @Test("tables, dotted keys, arrays of tables and inline tables")
    func structure() throws {
        let t = try parse(
            """
            [door]
            backend = "sim"
            led.green = 5
            [[reader]]
            name = "entry"
            [[reader]]
            name = "exit"
            usb = { vid = 0x1209, pid = 1 }
            [reader.extra]
            x = [1, [2, 3], ]
            """)
        guard case .table(let door)? = t["door"]?.kind, case .table(let led)? = door["led"]?.kind,
            case .array(let readers)? = t["reader"]?.kind, readers.count == 2,
            case .table(let exit) = readers[1].kind, case .table(let usb)? = exit["usb"]?.kind,
            case .table(let extra)? = exit["extra"]?.kind, case .array(let x)? = extra["x"]?.kind
        else {
            Issue.record("unexpected structure")
            return
        }
        #expect(string(door, "backend") == "sim")
        #expect(led["green"].map { if case .integer(5) = $0.kind { true } else { false } } == true)
        #expect(string(exit, "name") == "exit")
        #expect(usb.keys == ["vid", "pid"])
        #expect(x.count == 2)
        #expect(t["reader"]?.position == TOMLPosition(line: 4, column: 1))
    }

    @Test(
        "structural errors name the line",
        arguments: [
            ("a = 1\na = 2\n", 2, "set twice (first on line 1)"),
            ("[a]\n[a]\n", 2, "defined twice"),
            ("a = 1\n[a]\n", 2, "defined twice"),
            ("a = 1\n[[a]]\n", 2, "conflicts"),
            ("a = 1 b = 2\n", 1, "expected the end of the line"),
            ("a = \"open\n", 1, "not closed"),
            ("a = [1, 2\n", 2, "not closed"),
            ("a = {b = 1\n", 1, "inline table"),
            ("a = 07:00\n", 1, "put it in quotes"),
            ("a = hello\n", 1, "strings need quotes"),
            ("a = \"\\q\"\n", 1, "not an escape"),
            ("= 1\n", 1, "expected a key"),
            ("[ =]\n", 1, "expected a key"),
        ])
    func structuralErrors(text: String, line: Int, message: String) {
        do {
            _ = try parse(text)
            Issue.record("no error for \(text)")
        } catch let error as TOMLSyntaxError {
            #expect(error.position.line == line, "\(error.message)")
            #expect(error.message.contains(message), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("deep nesting is refused, not a stack overflow")
    func deepNesting() {
        #expect(throws: TOMLSyntaxError.self) { try parse("a = " + String(repeating: "[", count: 100_000)) }
    }
}

/// Parsing is linear in the file: a large table, many headers and a long array of tables parse within the suite's
/// time limit, which a quadratic parser (each key copying its table) cannot meet. The speed itself is measured by
/// `make bench`, not asserted here.
@Suite("TOML parser at scale", .timeLimit(.minutes(1)))
struct TOMLScaleTests {
    @Test("100,000 keys in one table")
    func manyKeys() throws {
        let text = "[big]\n" + (0..<100_000).map { "k\($0) = \($0)\n" }.joined()
        let table = try TOMLParser.parse(text)
        guard case .table(let big)? = table["big"]?.kind else {
            Issue.record("no [big]")
            return
        }
        #expect(big.keys.count == 100_000 && big.keys.last == "k99999")
        #expect(big.position(of: "k99999")?.line == 100_001)
    }

    @Test("20,000 table headers and 20,000 array-of-tables entries")
    func manyHeaders() throws {
        let text =
            (0..<20_000).map { "[profiles.p\($0)]\nschedule = \"always\"\n" }.joined()
            + (0..<20_000).map { "[[reader]]\nname = \"r\($0)\"\n" }.joined()
        let table = try TOMLParser.parse(text)
        guard case .table(let profiles)? = table["profiles"]?.kind, case .array(let readers)? = table["reader"]?.kind
        else {
            Issue.record("no [profiles] or [[reader]]")
            return
        }
        #expect(profiles.keys.count == 20_000 && readers.count == 20_000)
    }
}
