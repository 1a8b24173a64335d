import LabDoorCore
import LabDoorHardware
import Testing

@Suite("CCID cards: UIDs as badge numbers, the reader's class descriptor")
struct CCIDCardTests {
    @Test(
        "a UID in each uid_format",
        arguments: [
            (UIDFormat.hex, "04A23F1B"), (.hexReversed, "1B3FA204"), (.decimal, "77741851"),
            (.decimalReversed, "457155076"),
        ])
    func formats(format: UIDFormat, expected: String) {
        #expect(format.badgeNumber([0x04, 0xA2, 0x3F, 0x1B]) == expected)
    }

    @Test("decimal past 64 bits (a 10-byte UID) and with leading zero bytes")
    func decimalWide() {
        // 0x01 followed by nine 0x00 bytes is 2^72.
        #expect(UIDFormat.decimal.badgeNumber([0x01] + [UInt8](repeating: 0, count: 9)) == "4722366482869645213696")
        #expect(UIDFormat.decimal.badgeNumber([0x00, 0x00, 0x01, 0x00]) == "256")
        #expect(UIDFormat.decimal.badgeNumber([0, 0, 0, 0]) == "0")
        // 7 bytes of 0xFF: 2^56 − 1.
        #expect(UIDFormat.decimal.badgeNumber([UInt8](repeating: 0xFF, count: 7)) == "72057594037927935")
        #expect(UIDFormat.hex.badgeNumber([UInt8](repeating: 0xFF, count: 10)).count == 20)
    }

    @Test("Get Data answers: a UID of 4, 7 or 10 bytes with 90 00; anything else says why")
    func getData() throws {
        #expect(CardUID.getData == [0xFF, 0xCA, 0x00, 0x00, 0x00])
        #expect(try CardUID.uid(fromAnswer: [0x04, 0xA2, 0x3F, 0x1B, 0x90, 0x00]) == [0x04, 0xA2, 0x3F, 0x1B])
        #expect(try CardUID.uid(fromAnswer: [UInt8](repeating: 7, count: 7) + [0x90, 0x00]).count == 7)
        #expect(try CardUID.uid(fromAnswer: [UInt8](repeating: 7, count: 10) + [0x90, 0x00]).count == 10)
        #expect(throws: CardUID.Failure.status(0x63, 0x00)) { try CardUID.uid(fromAnswer: [0x63, 0x00]) }
        #expect(throws: CardUID.Failure.status(0x6A, 0x81)) { try CardUID.uid(fromAnswer: [0x6A, 0x81]) }
        #expect(throws: CardUID.Failure.noStatusWord) { try CardUID.uid(fromAnswer: [0x90]) }
        #expect(throws: CardUID.Failure.length(5)) { try CardUID.uid(fromAnswer: [1, 2, 3, 4, 5, 0x90, 0x00]) }
        #expect(throws: CardUID.Failure.length(0)) { try CardUID.uid(fromAnswer: [0x90, 0x00]) }
        #expect(CardUID.Failure.status(0x63, 0x00).description.contains("did not answer"))
    }

    /// A 54-byte class descriptor with the given dwFeatures and dwMaxCCIDMessageLength (the other fields as a
    /// single-slot contactless reader would fill them; only these matter here).
    static func descriptor(features: UInt32, maxMessage: UInt32 = 271) -> [UInt8] {
        var d = [UInt8](repeating: 0, count: 54)
        d[0] = 54
        d[1] = 0x21
        d[2] = 0x10
        d[3] = 0x01  // bcdCCID 1.10
        for i in 0..<4 {
            d[40 + i] = UInt8(truncatingIfNeeded: features >> (8 * i))
            d[44 + i] = UInt8(truncatingIfNeeded: maxMessage >> (8 * i))
        }
        return d
    }

    @Test("the class descriptor: found after other descriptors, APDU level accepted, TPDU and character refused")
    func classDescriptor() throws {
        let other: [UInt8] = [0x05, 0x24, 0x00, 0x10, 0x01]  // some other class-specific descriptor first
        let short = try CCIDClassDescriptor(interfaceExtra: other + Self.descriptor(features: 0x0002_04BA))
        #expect(short.exchangeLevel == .shortAPDU && short.maxMessageLength == 271 && short.maxSlotIndex == 0)
        #expect(
            try CCIDClassDescriptor(interfaceExtra: Self.descriptor(features: 0x0004_0000)).exchangeLevel
                == .extendedAPDU)
        #expect(throws: CCIDClassDescriptor.Failure.exchangeLevel(.tpdu)) {
            try CCIDClassDescriptor(interfaceExtra: Self.descriptor(features: 0x0001_00BA))
        }
        #expect(throws: CCIDClassDescriptor.Failure.exchangeLevel(.character)) {
            try CCIDClassDescriptor(interfaceExtra: Self.descriptor(features: 0x0000_00BA))
        }
        #expect(throws: CCIDClassDescriptor.Failure.messageLength(11)) {
            try CCIDClassDescriptor(interfaceExtra: Self.descriptor(features: 0x0002_0000, maxMessage: 11))
        }
        #expect(throws: CCIDClassDescriptor.Failure.missing) { try CCIDClassDescriptor(interfaceExtra: other) }
        #expect(throws: CCIDClassDescriptor.Failure.missing) { try CCIDClassDescriptor(interfaceExtra: []) }
        // A truncated descriptor, and a zero length that would loop forever, are "missing", never a trap.
        #expect(throws: CCIDClassDescriptor.Failure.missing) {
            try CCIDClassDescriptor(interfaceExtra: Array(Self.descriptor(features: 0x0002_0000).prefix(40)))
        }
        #expect(throws: CCIDClassDescriptor.Failure.missing) {
            try CCIDClassDescriptor(interfaceExtra: [0, 0x21, 1, 2])
        }
        #expect(CCIDClassDescriptor.Failure.exchangeLevel(.tpdu).description.contains("TPDU"))
    }
}

@Suite("ACS LED and buzzer pseudo-APDUs")
struct ACSFeedbackTests {
    @Test("a pattern becomes FF 00 40 P2 04 T1 T2 Rep Buzzer")
    func apdus() {
        // Three short red with the buzzer: red blinking, ends off; 200 ms on, 200 ms off, 3 times, buzz in T1.
        #expect(ACSFeedback.apdu(FeedbackPattern.Family.closed.pattern) == [0xFF, 0x00, 0x40, 0x54, 0x04, 2, 2, 3, 1])
        // A grant: green once for a second, silent (T2 at least one unit).
        #expect(
            ACSFeedback.apdu(FeedbackPattern.Family.granted.pattern) == [0xFF, 0x00, 0x40, 0xA8, 0x04, 10, 1, 1, 0])
        #expect(ACSFeedback.silenceCardBeep == [0xFF, 0x00, 0x52, 0x00, 0x00])
    }

    @Test("a real reader's descriptors: the interface, its CCID class descriptor and three endpoints")
    func realDescriptor() throws {
        // An AB Circle CIR315A (31aa:3001) as a Teensy 4.1's USB host dumped its configuration: forum.pjrc.com,
        // "Teensy 3.6/4.1 USB Support for CCID USB Card Readers" (thread 70471, 2022). The class descriptor is the
        // 54 bytes after the interface descriptor (09 04 00 00 03 0B 00 00 03); the endpoints follow it.
        let classDescriptor: [UInt8] = [
            0x36, 0x21, 0x10, 0x01, 0x00, 0x07, 0x03, 0x00, 0x00, 0x00, 0xC0, 0x12, 0x00, 0x00, 0xC0, 0x12, 0x00, 0x00,
            0x00, 0x67, 0x32, 0x00, 0x00, 0xE7, 0x4C, 0x06, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0xBA, 0x04, 0x04, 0x00, 0x0A, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        ]
        #expect(classDescriptor.count == 54)
        let descriptor = try CCIDClassDescriptor(interfaceExtra: classDescriptor)
        #expect(descriptor.maxSlotIndex == 0)
        #expect(descriptor.features == 0x0004_04BA)
        #expect(descriptor.exchangeLevel == .extendedAPDU)
        #expect(descriptor.maxMessageLength == 522)
        // libusb files descriptors it does not know under the interface (or, placed after the endpoints, under
        // the last endpoint): the same bytes after the three endpoint descriptors are found too.
        let endpoints: [UInt8] = [
            0x07, 0x05, 0x01, 0x02, 0x40, 0x00, 0x00, 0x07, 0x05, 0x82, 0x02, 0x40, 0x00, 0x00,
        ]
        #expect(try CCIDClassDescriptor(interfaceExtra: endpoints + classDescriptor) == descriptor)
    }
}
