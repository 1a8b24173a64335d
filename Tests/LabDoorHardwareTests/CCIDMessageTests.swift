import LabDoorHardware
import LabDoorTestKit
import Testing

/// Golden frames. The layouts are the CCID specification's (USB-IF "Specification for Integrated Circuit(s) Cards
/// Interface Devices", Rev 1.1, §6.1 commands, §6.2 replies, §6.3 interrupt messages): byte 0 the message type,
/// bytes 1–4 dwLength little-endian, 5 bSlot, 6 bSeq, 7–9 the message's own, then the data — built here from
/// those tables. The APDU is ACS's (ACR122U Application Programming Interface, "Get Data": `FF CA 00 00 00`,
/// answered with the UID and `90 00`). A capture from a real ACR122U is still to be added beside them (#16).
@Suite("CCID messages")
struct CCIDMessageTests {
    @Test("commands encode as the specification lays them out")
    func commands() {
        #expect(CCIDCommand.iccPowerOn(slot: 0, seq: 1).encoded == [0x62, 0, 0, 0, 0, 0, 1, 0, 0, 0])
        #expect(CCIDCommand.iccPowerOff(slot: 0, seq: 2).encoded == [0x63, 0, 0, 0, 0, 0, 2, 0, 0, 0])
        #expect(CCIDCommand.getSlotStatus(slot: 1, seq: 0xFF).encoded == [0x65, 0, 0, 0, 0, 1, 0xFF, 0, 0, 0])
        // Get Data (the UID) in an XfrBlock: dwLength 5.
        #expect(
            CCIDCommand.xfrBlock(slot: 0, seq: 3, data: [0xFF, 0xCA, 0x00, 0x00, 0x00]).encoded == [
                0x6F, 0x05, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0xFF, 0xCA, 0x00, 0x00, 0x00,
            ])
        // wLevelParameter is little-endian; dwLength counts past 255.
        let long = CCIDCommand.xfrBlock(
            slot: 0, seq: 4, data: [UInt8](repeating: 0xAB, count: 300), levelParameter: 0x0102)
        #expect(Array(long.encoded.prefix(10)) == [0x6F, 0x2C, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x01])
        #expect(long.encoded.count == 310)
        #expect(CCIDCommand.escape(slot: 0, seq: 5, data: [0xFF, 0x00, 0x52, 0x00, 0x00]).encoded.first == 0x6B)
    }

    @Test("replies decode, and encode back to the same bytes")
    func replies() throws {
        // A 4-byte UID and 90 00, answering seq 3.
        let uid: [UInt8] = [0x80, 0x06, 0, 0, 0, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0xA2, 0x3F, 0x1B, 0x90, 0x00]
        let reply = try CCIDResponse(decoding: uid, maximumData: 261)
        #expect(reply.kind == .dataBlock && reply.seq == 3 && reply.card == .presentActive)
        #expect(reply.status == .processed && reply.data == [0x04, 0xA2, 0x3F, 0x1B, 0x90, 0x00])
        #expect(reply.encoded == uid)
        // SlotStatus: no card (bStatus 0x02), and a failed command (bStatus 0x42, bError 0xFE: ICC mute).
        let empty = try CCIDResponse(decoding: [0x81, 0, 0, 0, 0, 0, 7, 0x02, 0x00, 0x00], maximumData: 261)
        #expect(empty.kind == .slotStatus && empty.card == .absent && empty.status == .processed)
        let mute = try CCIDResponse(decoding: [0x80, 0, 0, 0, 0, 0, 8, 0x42, 0xFE, 0x00], maximumData: 261)
        #expect(mute.status == .failed && mute.error == 0xFE && mute.card == .absent)
        // A time extension (bmCommandStatus 2, bError the multiplier).
        let wait = try CCIDResponse(decoding: [0x80, 0, 0, 0, 0, 0, 9, 0x80, 0x02, 0x00], maximumData: 261)
        #expect(wait.status == .timeExtension && wait.error == 2)
    }

    @Test("malformed replies are refused with what is wrong")
    func refused() {
        #expect(throws: CCIDError.truncated(9)) {
            try CCIDResponse(decoding: [0x80, 0, 0, 0, 0, 0, 1, 0, 0], maximumData: 261)
        }
        #expect(throws: CCIDError.unknownMessageType(0x6F)) {
            try CCIDResponse(decoding: [0x6F, 0, 0, 0, 0, 0, 1, 0, 0, 0], maximumData: 261)
        }
        #expect(throws: CCIDError.tooLong(declared: 0x0100_0000, limit: 261)) {
            try CCIDResponse(decoding: [0x80, 0, 0, 0, 1, 0, 1, 0, 0, 0], maximumData: 261)
        }
        #expect(throws: CCIDError.lengthMismatch(declared: 2, received: 1)) {
            try CCIDResponse(decoding: [0x80, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0x90], maximumData: 261)
        }
        #expect(throws: CCIDError.lengthMismatch(declared: 0, received: 1)) {
            try CCIDResponse(decoding: [0x81, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x00], maximumData: 261)
        }
        for status: UInt8 in [0x03, 0x04, 0x20, 0xC0] {
            #expect(throws: CCIDError.reservedStatus(status)) {
                try CCIDResponse(decoding: [0x81, 0, 0, 0, 0, 0, 1, status, 0, 0], maximumData: 261)
            }
        }
    }

    @Test("a reply answers its command only with the same bSeq and the kind the specification gives")
    func judging() {
        let command = CCIDCommand.xfrBlock(slot: 0, seq: 3, data: [0xFF, 0xCA, 0, 0, 0])
        #expect(command.judge(CCIDResponse(kind: .dataBlock, seq: 3)) == .answer)
        #expect(command.judge(CCIDResponse(kind: .dataBlock, seq: 3, status: .failed, error: 0xFE)) == .answer)
        #expect(
            command.judge(CCIDResponse(kind: .dataBlock, seq: 3, status: .timeExtension, error: 1))
                == .moreTime(multiplier: 1))
        #expect(command.judge(CCIDResponse(kind: .dataBlock, seq: 2)) == .otherCommand("bSeq 2, expected 3"))
        guard case .otherCommand = command.judge(CCIDResponse(kind: .slotStatus, seq: 3)) else {
            Issue.record("a SlotStatus answered an XfrBlock")
            return
        }
        #expect(CCIDCommand.iccPowerOff(slot: 0, seq: 4).judge(CCIDResponse(kind: .slotStatus, seq: 4)) == .answer)
    }

    @Test("interrupt messages: slot changes and hardware errors")
    func notifications() throws {
        // One slot: card present, changed (bits 0b11); then removed, changed (0b10).
        #expect(
            try CCIDNotification(decoding: [0x50, 0x03], slots: 1) == .slotChange([.init(present: true, changed: true)])
        )
        #expect(
            try CCIDNotification(decoding: [0x50, 0x02], slots: 1)
                == .slotChange([.init(present: false, changed: true)]))
        // Five slots need two bytes; slot 4 is in the low bits of the second.
        let five = try CCIDNotification(decoding: [0x50, 0x00, 0x01], slots: 5)
        #expect(
            five
                == .slotChange(
                    Array(repeating: .init(present: false, changed: false), count: 4) + [
                        .init(present: true, changed: false)
                    ]))
        #expect(
            try CCIDNotification(decoding: [0x51, 0, 7, 0x01], slots: 1) == .hardwareError(slot: 0, seq: 7, code: 1))
        #expect(throws: CCIDError.lengthMismatch(declared: 1, received: 2)) {
            try CCIDNotification(decoding: [0x50, 3, 0], slots: 1)
        }
        #expect(throws: CCIDError.unknownMessageType(0x80)) { try CCIDNotification(decoding: [0x80], slots: 1) }
        #expect(throws: CCIDError.truncated(0)) { try CCIDNotification(decoding: [], slots: 1) }
    }

    @Test("fuzz: random frames never trap, and whatever decodes encodes back to the same bytes")
    func fuzz() {
        var random = SeededGenerator(seed: 16)
        var decoded = 0
        for round in 0..<50_000 {
            var bytes = (0..<Int.random(in: 0...24, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            if round % 2 == 0, bytes.count >= 10 {  // half with a plausible header, to reach the deeper checks
                bytes[0] = [0x80, 0x81, 0x83][round % 3]
                bytes[1] = UInt8(bytes.count - 10)
                bytes[2] = 0
                bytes[3] = 0
                bytes[4] = 0
                bytes[7] &= round % 4 == 0 ? 0xC3 : 0xFF
            }
            if let reply = try? CCIDResponse(decoding: bytes, maximumData: 261) {
                decoded += 1
                #expect(reply.encoded == bytes)
            }
            if let notification = try? CCIDNotification(decoding: bytes, slots: 1) {
                guard case .slotChange = notification, bytes.count == 2 else {
                    guard case .hardwareError = notification, bytes.count == 4 else {
                        Issue.record("\(bytes) decoded as \(notification)")
                        return
                    }
                    continue
                }
            }
        }
        #expect(decoded > 1000, "the fuzz reached the accepting path \(decoded) times")
    }

    @Test("ACS's own example exchange (an XfrBlock and its DataBlock) encodes and decodes byte for byte")
    func acsExample() throws {
        // ACR122L-ACS Design Specification v0.03 (ACS, 2010), p. 17, "Example 3": an APDU 80 84 00 00 08 sent to
        // slot 0 with sequence number 3, and the reader's answer. The document wraps each CCID message in its
        // serial framing (22 … checksum 23); the CCID messages inside are quoted here unchanged.
        let command: [UInt8] = [
            0x6F, 0x05, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x80, 0x84, 0x00, 0x00, 0x08,
        ]
        let reply: [UInt8] = [
            0x80, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
            0xE3, 0x51, 0xB0, 0xFC, 0x88, 0xAA, 0x2D, 0x18, 0x90, 0x00,
        ]
        let sent = CCIDCommand.xfrBlock(slot: 0, seq: 3, data: [0x80, 0x84, 0x00, 0x00, 0x08])
        #expect(sent.encoded == command)
        let decoded = try CCIDResponse(decoding: reply, maximumData: 261)
        #expect(decoded.kind == .dataBlock && decoded.seq == 3 && decoded.status == .processed)
        #expect(decoded.data == [0xE3, 0x51, 0xB0, 0xFC, 0x88, 0xAA, 0x2D, 0x18, 0x90, 0x00])
        #expect(decoded.encoded == reply)
        #expect(sent.judge(decoded) == .answer)
    }
}
