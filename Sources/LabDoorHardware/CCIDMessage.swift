// CCID messages: what an NFC reader of the CCID class (ACS ACR122U and kin) and the host say to each other over
// the bulk and interrupt endpoints — USB "Specification for Integrated Circuit(s) Cards Interface Devices", Rev
// 1.1 (2005), §6. A pure encoder and decoder, no I/O: the libusb code sends what `encode` makes and hands what it
// receives to `decode`, which refuses anything malformed with a message saying what (a reader's reply is
// untrusted input: a length that does not match, an unknown message type, a reserved status value).

/// A command from the host (bulk OUT, §6.1).
public enum CCIDCommand: Equatable, Sendable {
    /// PC_to_RDR_IccPowerOn (0x62, §6.1.1): power the card on; the reply is a DataBlock with the ATR.
    /// `powerSelect` 0 is automatic voltage selection.
    case iccPowerOn(slot: UInt8, seq: UInt8, powerSelect: UInt8 = 0)
    /// PC_to_RDR_IccPowerOff (0x63, §6.1.2); the reply is a SlotStatus.
    case iccPowerOff(slot: UInt8, seq: UInt8)
    /// PC_to_RDR_GetSlotStatus (0x65, §6.1.3); the reply is a SlotStatus.
    case getSlotStatus(slot: UInt8, seq: UInt8)
    /// PC_to_RDR_XfrBlock (0x6F, §6.1.4): an APDU for the card (or, on ACS readers, a pseudo-APDU `FF …` for the
    /// reader itself); the reply is a DataBlock.
    case xfrBlock(slot: UInt8, seq: UInt8, data: [UInt8], blockWaitingTime: UInt8 = 0, levelParameter: UInt16 = 0)
    /// PC_to_RDR_Escape (0x6B, §6.1.8): a vendor command for the reader; the reply is an Escape.
    case escape(slot: UInt8, seq: UInt8, data: [UInt8])

    /// The message type byte.
    public var messageType: UInt8 {
        switch self {
        case .iccPowerOn: 0x62
        case .iccPowerOff: 0x63
        case .getSlotStatus: 0x65
        case .xfrBlock: 0x6F
        case .escape: 0x6B
        }
    }

    /// The sequence number the reply must carry.
    public var seq: UInt8 {
        switch self {
        case .iccPowerOn(_, let seq, _), .iccPowerOff(_, let seq), .getSlotStatus(_, let seq),
            .xfrBlock(_, let seq, _, _, _), .escape(_, let seq, _):
            seq
        }
    }

    /// The message as sent: the 10-byte header (type, dwLength little-endian, bSlot, bSeq, three bytes of the
    /// message's own) and the data.
    public var encoded: [UInt8] {
        let (slot, specific, data): (UInt8, [UInt8], [UInt8]) =
            switch self {
            case .iccPowerOn(let slot, _, let power): (slot, [power, 0, 0], [])
            case .iccPowerOff(let slot, _), .getSlotStatus(let slot, _): (slot, [0, 0, 0], [])
            case .xfrBlock(let slot, _, let data, let bwi, let level):
                (slot, [bwi, UInt8(truncatingIfNeeded: level), UInt8(truncatingIfNeeded: level >> 8)], data)
            case .escape(let slot, _, let data): (slot, [0, 0, 0], data)
            }
        let length = UInt32(data.count)
        var bytes: [UInt8] = [messageType]
        bytes.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) })
        bytes.append(contentsOf: [slot, seq] + specific + data)
        return bytes
    }
}

/// A reply from the reader (bulk IN, §6.2).
public struct CCIDResponse: Equatable, Sendable {
    /// The bulk message header's length (§6.1, §6.2: the same for commands and replies).
    public static let headerLength = 10

    /// The reply's kind.
    public enum Kind: UInt8, Sendable {
        /// RDR_to_PC_DataBlock (§6.2.1): the ATR or the card's answer.
        case dataBlock = 0x80
        /// RDR_to_PC_SlotStatus (§6.2.2).
        case slotStatus = 0x81
        /// RDR_to_PC_Parameters (§6.2.3).
        case parameters = 0x82
        /// RDR_to_PC_Escape (§6.2.4).
        case escape = 0x83
        /// RDR_to_PC_DataRateAndClockFrequency (§6.2.5).
        case dataRateAndClockFrequency = 0x84
    }

    /// The card in the slot (bmICCStatus, bits 0–1 of bStatus).
    public enum CardState: UInt8, Sendable {
        /// A card is present and active (powered).
        case presentActive = 0
        /// A card is present but not powered.
        case presentInactive = 1
        /// No card.
        case absent = 2
    }

    /// How the command went (bmCommandStatus, bits 6–7 of bStatus).
    public enum CommandStatus: UInt8, Sendable {
        /// Processed without error.
        case processed = 0
        /// Failed; `error` says why (§6.2.6).
        case failed = 1
        /// The reader needs more time: this is not the answer, the answer follows (`error` is the multiplier).
        case timeExtension = 2
    }

    /// The kind.
    public var kind: Kind
    /// The slot it concerns.
    public var slot: UInt8
    /// The sequence number of the command it answers.
    public var seq: UInt8
    /// The card in the slot.
    public var card: CardState
    /// How the command went.
    public var status: CommandStatus
    /// bError: the error code when `status` is `.failed`, the multiplier of a time extension.
    public var error: UInt8
    /// The message's own last header byte (bChainParameter, bClockStatus, bProtocolNum or reserved).
    public var specific: UInt8
    /// The data after the header.
    public var data: [UInt8]

    /// A reply; for building test frames and the emulated reader's answers.
    public init(
        kind: Kind, slot: UInt8 = 0, seq: UInt8, card: CardState = .presentActive, status: CommandStatus = .processed,
        error: UInt8 = 0, specific: UInt8 = 0, data: [UInt8] = []
    ) {
        self.kind = kind
        self.slot = slot
        self.seq = seq
        self.card = card
        self.status = status
        self.error = error
        self.specific = specific
        self.data = data
    }

    /// The reply as the reader sends it.
    public var encoded: [UInt8] {
        let length = UInt32(data.count)
        var bytes: [UInt8] = [kind.rawValue]
        bytes.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) })
        bytes.append(contentsOf: [slot, seq, card.rawValue | status.rawValue << 6, error, specific] + data)
        return bytes
    }

    /// Decodes one reply of exactly `bytes` (a bulk IN transfer); `maximumData` bounds dwLength (the reader's
    /// dwMaxCCIDMessageLength less the header), so that a garbled length never asks for gigabytes.
    public init(decoding bytes: [UInt8], maximumData: Int) throws(CCIDError) {
        guard bytes.count >= CCIDResponse.headerLength else { throw .truncated(bytes.count) }
        guard let kind = Kind(rawValue: bytes[0]) else { throw .unknownMessageType(bytes[0]) }
        let declared = (1...4).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 1)) }
        guard declared <= maximumData else { throw .tooLong(declared: declared, limit: maximumData) }
        guard bytes.count == CCIDResponse.headerLength + declared else {
            throw .lengthMismatch(declared: declared, received: bytes.count - CCIDResponse.headerLength)
        }
        let statusByte = bytes[7]
        guard statusByte & 0b0011_1100 == 0, let card = CardState(rawValue: statusByte & 0b11),
            let status = CommandStatus(rawValue: statusByte >> 6)
        else { throw .reservedStatus(statusByte) }
        self.init(
            kind: kind, slot: bytes[5], seq: bytes[6], card: card, status: status, error: bytes[8],
            specific: bytes[9], data: Array(bytes[CCIDResponse.headerLength...]))
    }
}

/// What the reader says on the interrupt IN endpoint (§6.3).
public enum CCIDNotification: Equatable, Sendable {
    /// RDR_to_PC_NotifySlotChange (0x50, §6.3.1): per slot, whether a card is present and whether that changed
    /// since the last notification (two bits a slot, slot 0 in the lowest bits).
    case slotChange([SlotChange])
    /// RDR_to_PC_HardwareError (0x51, §6.3.2).
    case hardwareError(slot: UInt8, seq: UInt8, code: UInt8)

    /// One slot's state in a NotifySlotChange.
    public struct SlotChange: Equatable, Sendable {
        /// A card is in the slot.
        public var present: Bool
        /// That changed since the last notification.
        public var changed: Bool

        /// A slot's state.
        public init(present: Bool, changed: Bool) {
            self.present = present
            self.changed = changed
        }
    }

    /// Decodes one interrupt transfer; `slots` is the reader's bMaxSlotIndex + 1 (the bitmap is that many slots
    /// rounded up to whole bytes).
    public init(decoding bytes: [UInt8], slots: Int) throws(CCIDError) {
        guard let type = bytes.first else { throw .truncated(0) }
        switch type {
        case 0x50:
            let needed = 1 + (slots + 3) / 4
            guard bytes.count == needed else {
                throw .lengthMismatch(declared: needed - 1, received: bytes.count - 1)
            }
            self = .slotChange(
                (0..<slots).map { slot in
                    let bits = bytes[1 + slot / 4] >> (2 * (slot % 4))
                    return SlotChange(present: bits & 1 == 1, changed: bits & 2 == 2)
                })
        case 0x51:
            guard bytes.count == 4 else { throw .lengthMismatch(declared: 3, received: bytes.count - 1) }
            self = .hardwareError(slot: bytes[1], seq: bytes[2], code: bytes[3])
        default:
            throw .unknownMessageType(type)
        }
    }
}

/// A CCID message that cannot be taken: what is wrong with it, for the reader-error log line.
public enum CCIDError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than a header.
    case truncated(Int)
    /// A message type this host does not know (or not a reply).
    case unknownMessageType(UInt8)
    /// dwLength larger than the reader may send.
    case tooLong(declared: Int, limit: Int)
    /// dwLength and the bytes received disagree.
    case lengthMismatch(declared: Int, received: Int)
    /// bStatus with reserved bits or values set.
    case reservedStatus(UInt8)

    /// What is wrong, in words.
    public var description: String {
        switch self {
        case .truncated(let n): "a CCID message of \(n) bytes, shorter than its header"
        case .unknownMessageType(let type): "an unknown CCID message type 0x\(String(type, radix: 16))"
        case .tooLong(let declared, let limit): "a CCID message declaring \(declared) data bytes (at most \(limit))"
        case .lengthMismatch(let declared, let received):
            "a CCID message declaring \(declared) data bytes with \(received) received"
        case .reservedStatus(let byte): "a CCID status byte 0x\(String(byte, radix: 16)) with reserved bits set"
        }
    }
}

extension CCIDCommand {
    /// The reply kind the specification gives for this command (§6.2: IccPowerOn and XfrBlock → DataBlock,
    /// IccPowerOff and GetSlotStatus → SlotStatus, Escape → Escape).
    public var replyKind: CCIDResponse.Kind {
        switch self {
        case .iccPowerOn, .xfrBlock: .dataBlock
        case .iccPowerOff, .getSlotStatus: .slotStatus
        case .escape: .escape
        }
    }

    /// What a received reply means for this command: its answer, a request for more time (keep reading; §6.2.6,
    /// bmCommandStatus 2), or a reply to something else — a stale answer to an earlier command or a reader out of
    /// step, which the caller logs and never takes as this command's answer.
    public func judge(_ reply: CCIDResponse) -> CCIDVerdict {
        guard reply.seq == seq else { return .otherCommand("bSeq \(reply.seq), expected \(seq)") }
        if reply.status == .timeExtension { return .moreTime(multiplier: reply.error) }
        guard reply.kind == replyKind else {
            return .otherCommand("a \(reply.kind) reply to a 0x\(String(messageType, radix: 16)) command")
        }
        return .answer
    }
}

/// What a reply is to the command waiting for one.
public enum CCIDVerdict: Equatable, Sendable {
    /// The command's answer (which may still report a failure in its status).
    case answer
    /// The reader asks for more time; the answer follows.
    case moreTime(multiplier: UInt8)
    /// Not this command's answer: why.
    case otherCommand(String)
}
