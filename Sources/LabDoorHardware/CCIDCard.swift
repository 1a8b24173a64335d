// From a CCID reader's answers to a badge number, the reader's class descriptor, and ACS readers' feedback:
// pure functions, no I/O (docs: ../shared/DESIGN.md, Hardware; issue #16).
public import LabDoorCore

/// The PC/SC "Get Data" pseudo-APDU for a contactless card's UID (`FF CA 00 00 00`), and its answer.
public enum CardUID {
    /// The command APDU.
    public static let getData: [UInt8] = [0xFF, 0xCA, 0x00, 0x00, 0x00]

    /// Why an answer gives no UID.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The answer is shorter than a status word.
        case noStatusWord
        /// The status word is not 90 00 (`63 00`: the operation failed — no card, or it left; `6A 81`: the
        /// reader does not support the function).
        case status(UInt8, UInt8)
        /// A UID of a length ISO/IEC 14443-3 does not give (4, 7 or 10 bytes).
        case length(Int)

        /// What is wrong, in words.
        public var description: String {
            switch self {
            case .noStatusWord: "the reader's answer to Get Data has no status word"
            case .status(0x63, 0x00): "Get Data failed (63 00): the card did not answer or left"
            case .status(0x6A, 0x81): "the reader does not support Get Data (6A 81)"
            case .status(let sw1, let sw2):
                "Get Data was refused with status \(Self.hex(sw1)) \(Self.hex(sw2))"
            case .length(let n): "a card UID of \(n) bytes (ISO/IEC 14443-3 UIDs have 4, 7 or 10)"
            }
        }

        private static func hex(_ byte: UInt8) -> String {
            let text = String(byte, radix: 16, uppercase: true)
            return text.count == 1 ? "0" + text : text
        }
    }

    /// The UID in the data of the DataBlock that answered `getData`.
    public static func uid(fromAnswer data: [UInt8]) throws(Failure) -> [UInt8] {
        guard data.count >= 2 else { throw .noStatusWord }
        let (sw1, sw2) = (data[data.count - 2], data[data.count - 1])
        guard sw1 == 0x90, sw2 == 0x00 else { throw .status(sw1, sw2) }
        let uid = Array(data.dropLast(2))
        guard [4, 7, 10].contains(uid.count) else { throw .length(uid.count) }
        return uid
    }
}

/// The CCID class descriptor (type 0x21, 54 bytes, CCID Rev 1.1 §5.1) of a reader's interface: what LabDoor needs
/// from it.
public struct CCIDClassDescriptor: Equatable, Sendable {
    /// The level at which the reader exchanges data with the host (dwFeatures bits 16–18).
    public enum ExchangeLevel: Equatable, Sendable {
        /// Character level: the host would speak T=0/T=1 byte by byte.
        case character
        /// TPDU level: the host would frame T=1 blocks itself.
        case tpdu
        /// Short APDU level: an APDU in, an answer out (what ACS's contactless readers do).
        case shortAPDU
        /// Short and extended APDU level.
        case extendedAPDU
    }

    /// The highest slot index (slots = this + 1).
    public var maxSlotIndex: UInt8
    /// dwFeatures.
    public var features: UInt32
    /// dwMaxCCIDMessageLength: the longest message, header included.
    public var maxMessageLength: Int

    /// The exchange level dwFeatures declares.
    public var exchangeLevel: ExchangeLevel {
        switch features & 0x0007_0000 {
        case 0x0001_0000: .tpdu
        case 0x0002_0000: .shortAPDU
        case 0x0004_0000: .extendedAPDU
        default: .character
        }
    }

    /// Why a descriptor is not one LabDoor can use.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// No 54-byte descriptor of type 0x21 in the interface's extra descriptors.
        case missing
        /// A character- or TPDU-level reader: LabDoor speaks APDUs only.
        case exchangeLevel(ExchangeLevel)
        /// dwMaxCCIDMessageLength too small for a header and a status word.
        case messageLength(Int)

        /// What is wrong, in words, for the start-up error.
        public var description: String {
            switch self {
            case .missing: "the reader's interface has no CCID class descriptor (54 bytes, type 0x21)"
            case .exchangeLevel(let level):
                "the reader exchanges data at \(level == .tpdu ? "TPDU" : "character") level; LabDoor needs a short or extended APDU level reader (dwFeatures bit 17 or 18) — use a reader such as the ACS ACR122U"
            case .messageLength(let n):
                "the reader's dwMaxCCIDMessageLength is \(n), less than a header and a status word"
            }
        }
    }

    /// Finds and checks the class descriptor in an interface's extra descriptor bytes (libusb's `extra`).
    public init(interfaceExtra bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset + 2 <= bytes.count {
            let length = Int(bytes[offset])
            guard length >= 2, offset + length <= bytes.count else { break }
            if bytes[offset + 1] == 0x21, length == 54 {
                let d = Array(bytes[offset..<(offset + 54)])
                func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(d[at + $1]) << (8 * $1) } }
                self.init(maxSlotIndex: d[4], features: u32(40), maxMessageLength: Int(u32(44)))
                guard exchangeLevel == .shortAPDU || exchangeLevel == .extendedAPDU else {
                    throw .exchangeLevel(exchangeLevel)
                }
                guard maxMessageLength >= CCIDResponse.headerLength + 2 else { throw .messageLength(maxMessageLength) }
                return
            }
            offset += length
        }
        throw .missing
    }

    /// A descriptor's values, for tests and the emulated reader.
    public init(maxSlotIndex: UInt8, features: UInt32, maxMessageLength: Int) {
        self.maxSlotIndex = maxSlotIndex
        self.features = features
        self.maxMessageLength = maxMessageLength
    }
}

/// ACS readers' LED and buzzer: the pseudo-APDU `FF 00 40 P2 04 T1 T2 Rep Buzzer` ("Bi-color LED and Buzzer
/// Control": ACS's ACR122U Application Programming Interface v2.04, §6.2; the same command and P2 bit layout in
/// the ACM1252U-Y3 reference manual, §5.6.1 "ACR122U compatible commands"): P2 selects which LED blinks and how it
/// ends, T1 and T2 are the on and off times in units of 100 ms, Rep the repetitions, Buzzer 01 sounds it during
/// T1. The reader answers `90 <LED state>` (63 00: failed). Sent as PC_to_RDR_Escape, which the ACR122U family
/// takes with or without a card on the reader. Not yet checked against a physical reader (the HIL's emulated
/// reader decodes the same layout); a model without a table gets no feedback and works otherwise.
public enum ACSFeedback {
    /// The reader's own beep at each card, off (`FF 00 52 00 00`): LabDoor sounds its own patterns.
    public static let silenceCardBeep: [UInt8] = [0xFF, 0x00, 0x52, 0x00, 0x00]

    /// The APDU that shows `pattern`: the LED blinks `pulses` times and ends off.
    public static func apdu(_ pattern: FeedbackPattern) -> [UInt8] {
        // Bits (ACR122U P2): 0 final red, 1 final green, 2 red mask, 3 green mask, 4 initial red blinking state,
        // 5 initial green blinking state, 6 red blinking mask, 7 green blinking mask.
        let control: UInt8 = pattern.light == .red ? 0b0101_0100 : 0b1010_1000
        func tenths(_ duration: Duration) -> UInt8 {
            UInt8(clamping: max(1, Int((duration.timeInterval * 10).rounded())))
        }
        return [
            0xFF, 0x00, 0x40, control, 0x04, tenths(pattern.on), tenths(pattern.off),
            UInt8(clamping: pattern.pulses), pattern.buzz ? 0x01 : 0x00,
        ]
    }
}
