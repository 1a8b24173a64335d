import Foundation
import LabDoorCore
import LabDoorTestKit
import Testing

@Suite("Strict JSON: the control socket's parser and the log's serialiser")
struct JSONParserTests {
    @Test("values parse to what they say, and serialise back byte for byte")
    func roundTrip() throws {
        let text =
            #"{"v":2,"id":-17,"cmd":"door.unlock","args":{"for":60,"list":[true,false,null,"x"]},"ü":"ä\n\t\"\\/"}"#
        let value = try JSONValue.parse(text)
        #expect(value["v"]?.intValue == 2 && value["id"]?.intValue == -17)
        #expect(value["args"]?["list"] == .array([.bool(true), .bool(false), .null, .string("x")]))
        #expect(value["ü"]?.stringValue == "ä\n\t\"\\/")
        // The serialiser escapes what must be escaped and leaves `/` and non-ASCII alone.
        #expect(
            value.description
                == #"{"v":2,"id":-17,"cmd":"door.unlock","args":{"for":60,"list":[true,false,null,"x"]},"ü":"ä\n\t\"\\/"}"#
        )
        #expect(JSONValue.string("\u{01}\u{1F}").description == #""\u0001\u001f""#)
        #expect(try JSONValue.parse(#"  [ 1 , [ ] , { } ]  "#) == .array([.int(1), .array([]), .object([])]))
    }

    @Test("escapes: \\u with surrogate pairs decodes; a lone surrogate is refused")
    func unicodeEscapes() throws {
        #expect(try JSONValue.parse(#""\u00e4\ud83d\udeaa""#).stringValue == "ä🚪")
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(#""\ud83d""#) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(#""\ud83d\u0041""#) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(#""\x41""#) }
    }

    @Test(
        "hostile or sloppy input is refused with the byte offset, never trapped",
        arguments: [
            #"{"a":1,"a":2}"#, "1.5", "1e3", "01", "-", "--1", "99999999999999999999", "[1,]", "{,}", #"{"a"}"#,
            #"{"a":}"#, "[", "]", #""abc"#, "\"a\nb\"", "tru", "nul", "[1] 2", "", "@",
            String(repeating: "[", count: 17) + String(repeating: "]", count: 17),
        ])
    func refused(_ text: String) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.description.contains("at byte"), "\(error.description)")
        }
    }

    @Test("nesting up to the limit parses; one more level is refused")
    func depth() throws {
        let deep = String(repeating: "[", count: 17) + String(repeating: "]", count: 17)
        _ = try JSONValue.parse(deep, maximumDepth: 17)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(deep, maximumDepth: 16) }
        _ = try JSONValue.parse(String(repeating: "[", count: 16) + String(repeating: "]", count: 16))
        _ = try JSONValue.parse("1", maximumDepth: 1)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse("[1]", maximumDepth: 1) }
    }

    @Test("Int64's extremes parse exactly")
    func extremes() throws {
        #expect(try JSONValue.parse("9223372036854775807").intValue == Int64.max)
        #expect(try JSONValue.parse("-9223372036854775808").intValue == Int64.min)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse("9223372036854775808") }
    }
}

@Suite("UTC timestamps as the log stores and hashes them")
struct UTCTimestampTests {
    @Test(
        "formatting is exact to the millisecond, 24 characters, for instants before and after 1970",
        arguments: [
            (0.0, "1970-01-01T00:00:00.000Z"), (0.999, "1970-01-01T00:00:00.999Z"),
            (-0.001, "1969-12-31T23:59:59.999Z"), (-86_400, "1969-12-31T00:00:00.000Z"),
            (951_782_400, "2000-02-29T00:00:00.000Z"), (1_798_761_599.5, "2026-12-31T23:59:59.500Z"),
            (4_102_444_800, "2100-01-01T00:00:00.000Z"), (1_736_233_200.123_4, "2025-01-07T07:00:00.123Z"),
        ])
    func golden(seconds: Double, text: String) throws {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(UTCTimestamp.format(date) == text)
        #expect(UTCTimestamp.format(date).utf8.count == 24)
        let parsed = try #require(UTCTimestamp.parse(text))
        #expect(UTCTimestamp.format(parsed) == text)
    }

    @Test("the short form without milliseconds parses; anything else does not")
    func parsing() {
        #expect(UTCTimestamp.parse("2027-06-25T10:00:00Z") == UTCTimestamp.parse("2027-06-25T10:00:00.000Z"))
        for text in [
            "2027-06-25T10:00:00.000", "2027-06-25 10:00:00.000Z", "2027-02-29T10:00:00.000Z",
            "2027-06-25T24:00:00.000Z", "2027-06-25T10:00:00.00Z", "2027-06-25T10:00:00.abcZ", "", "Z",
            "2027-06-25T10:00:00+03:00", "2027-13-01T10:00:00.000Z", "2027-06-25T10:60:00.000Z",
            "2027-06-25T10:00:60.000Z", "2027-06-25T10:00:00,000Z", "2027-06-25T1:00:00.000Z ",
            "2027-06-25t10:00:00.000Z",
            "2027-06-25T10:00:00.000z", "२०२७-06-25T10:00:00Z", "2027-06-25T10:0٠:00.000Z",
        ] {
            #expect(UTCTimestamp.parse(text) == nil, "\(text)")
        }
    }

    @Test("text order is time order (the log sorts and filters on the text)")
    func ordering() {
        var generator = SeededGenerator(seed: 7)
        let instants = (0..<2000).map { _ in
            Date(timeIntervalSince1970: Double.random(in: -1e9...4e9, using: &generator))
        }
        let byText = instants.sorted { UTCTimestamp.format($0) < UTCTimestamp.format($1) }.map(UTCTimestamp.format)
        let byTime = instants.sorted().map(UTCTimestamp.format)
        #expect(byText == byTime)
    }
}
