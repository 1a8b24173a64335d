import LabDoorCore
import LabDoorHardware
import LabDoorTestKit
import Testing

/// Recorded-style report sequences of several reader kinds, fed with realistic timing.
@Suite("HID boot-keyboard decoding")
struct HIDKeyboardDecoderTests {
    static let one: UInt8 = 0x1E, zero: UInt8 = 0x27, enter: UInt8 = 0x28, tab: UInt8 = 0x2B, kpEnter: UInt8 = 0x58

    static func code(_ c: Character) -> UInt8 {
        if let digit = c.wholeNumberValue { return digit == 0 ? 0x27 : 0x1E + UInt8(digit) - 1 }
        if let v = c.asciiValue, (97...102).contains(v) { return 0x04 + v - 97 }
        if let v = c.asciiValue, (65...70).contains(v) { return 0x04 + v - 65 }
        return 0x2C  // space: not a badge character
    }

    static func report(_ modifier: UInt8 = 0, _ keys: UInt8...) -> [UInt8] {
        [modifier, 0] + keys + [UInt8](repeating: 0, count: 6 - keys.count)
    }

    /// A wedge reader typing `text`: press, release, `interval` ms apart, then the terminator.
    static func typed(
        _ text: String, terminator: UInt8 = enter, shiftLetters: Bool = false, keypad: Bool = false
    )
        -> [[UInt8]]
    {
        var reports: [[UInt8]] = []
        for c in text {
            var key = code(c)
            if keypad, let digit = c.wholeNumberValue { key = digit == 0 ? 0x62 : 0x59 + UInt8(digit) - 1 }
            reports.append(report(shiftLetters && c.isLetter ? 0x02 : 0, key))
            reports.append(report())
        }
        reports.append(report(0, terminator))
        reports.append(report())
        return reports
    }

    func decode(_ reports: [[UInt8]], intervalMicroseconds: Int64 = 8000) -> [ReaderInput] {
        var decoder = HIDKeyboardDecoder()
        var out: [ReaderInput] = []
        for (i, r) in reports.enumerated() {
            out += decoder.feed(r, at: MonotonicInstant(sinceOrigin: .microseconds(Int64(i) * intervalMicroseconds)))
        }
        return out
    }

    @Test("a decimal reader: 10 digits and Enter")
    func decimal() { #expect(decode(Self.typed("0012345678")) == [.read("0012345678")]) }

    @Test("a hex reader: 8 upper-case characters typed with Shift")
    func hexShift() { #expect(decode(Self.typed("04A23F1B", shiftLetters: true)) == [.read("04A23F1B")]) }

    @Test("a hex reader in lower case")
    func hexLower() { #expect(decode(Self.typed("deadbeef")) == [.read("deadbeef")]) }

    @Test("a keypad reader with keypad Enter")
    func keypad() { #expect(decode(Self.typed("4711", terminator: Self.kpEnter, keypad: true)) == [.read("4711")]) }

    @Test("a Tab terminator")
    func tabTerminator() { #expect(decode(Self.typed("13579", terminator: Self.tab)) == [.read("13579")]) }

    @Test("rollover and repeated reports count each key once")
    func rollover() {
        let reports = [
            Self.report(0, Self.one), Self.report(0, Self.one, 0x1F), Self.report(0, 0x1F), Self.report(0, 0x1F),
            Self.report(0, 0x1F, 0x20), Self.report(), Self.report(0, 0x21), Self.report(0, Self.enter), Self.report(),
        ]
        #expect(decode(reports) == [.read("1234")])
    }

    @Test("two numbers in a row are two reads")
    func twoReads() {
        #expect(decode(Self.typed("1111") + Self.typed("2222")) == [.read("1111"), .read("2222")])
    }

    @Test("garbage: unknown keys, over-long input, a bare terminator, a short report")
    func garbage() {
        #expect(decode(Self.typed("12 34")).first.map { if case .rejected = $0 { true } else { false } } == true)
        let long = String(repeating: "7", count: 40)
        guard case .rejected(let why)? = decode(Self.typed(long)).first else {
            Issue.record("over-long input accepted")
            return
        }
        #expect(why.contains("more than 32"))
        #expect(decode([Self.report(0, Self.enter)]) == [.rejected("a terminator without a number")])
        var decoder = HIDKeyboardDecoder()
        #expect(decoder.feed([1, 2], at: MonotonicInstant(sinceOrigin: .zero)).count == 1)
    }

    @Test("human typing speed drops the partial input; injection faster than a reader is rejected")
    func timing() {
        // 300 ms between reports: a person, not a reader.
        let slow = decode(Self.typed("123456"), intervalMicroseconds: 300_000)
        #expect(slow.allSatisfy { if case .rejected = $0 { true } else { false } })
        #expect(!slow.isEmpty)
        // 100 µs between reports: faster than any reader.
        let fast = decode(Self.typed("1234567890"), intervalMicroseconds: 100)
        guard case .rejected(let why)? = fast.first else {
            Issue.record("injection accepted: \(fast)")
            return
        }
        #expect(why.contains("faster than any reader"))
        var decoder = HIDKeyboardDecoder()
        _ = decoder.feed(Self.report(0, Self.one), at: MonotonicInstant(sinceOrigin: .zero))
        #expect(decoder.flush(at: MonotonicInstant(sinceOrigin: .milliseconds(50))) == nil)
        #expect(decoder.flush(at: MonotonicInstant(sinceOrigin: .milliseconds(150))) != nil)
    }

    @Test("random reports never crash, and every output is a valid read or a rejection", arguments: [UInt64(7), 8, 9])
    func fuzz(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var decoder = HIDKeyboardDecoder()
        var time: Int64 = 0
        var outputs = 0
        for _ in 0..<50_000 {
            let length = Int.random(in: 0...10, using: &rng)
            let report = (0..<length).map { _ in
                Bool.random(using: &rng)
                    ? UInt8.random(in: 0...0x30, using: &rng) : UInt8.random(in: 0...255, using: &rng)
            }
            time += Int64.random(in: 0...20_000, using: &rng)
            for output in decoder.feed(report, at: MonotonicInstant(sinceOrigin: .microseconds(time))) {
                outputs += 1
                if case .read(let text) = output {
                    #expect((1...32).contains(text.count))
                    #expect(text.allSatisfy { $0.isHexDigit })
                }
            }
        }
        #expect(outputs > 0)
    }
}
