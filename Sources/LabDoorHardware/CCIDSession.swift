public import LabDoorCore

/// The host's side of one CCID reader's slot, without I/O: the libusb code feeds it whether a card is present
/// (NotifySlotChange, or a GetSlotStatus poll for readers that send none), each reply and the time; it says what
/// to send and what it found. A tap is one read: power on, Get Data for the UID, power off — and a card held on
/// the reader is not read again until it has left.
///
/// Every reply is judged against the command waiting for it (`CCIDCommand.judge`): a stale or out-of-step reply
/// is logged and ignored, a time extension extends the wait, a malformed one or silence past the deadline is a
/// reader error (the caller reopens the reader with back-off). Nothing here ever yields a read that the reader
/// did not answer to the command just sent.
public struct CCIDSession: Sendable {
    /// What to do.
    public enum Output: Equatable, Sendable {
        /// Send this command on the bulk OUT endpoint.
        case send(CCIDCommand)
        /// A card's UID, read once for this tap.
        case read(uid: [UInt8])
        /// Input that is not a badge (a UID of an impossible length): rejected, and counted by the lockout.
        case rejected(String)
        /// A card that could not be read (it left during the exchange, or refused a command): logged, no read.
        case unreadable(String)
        /// A reply that answers nothing waiting (wrong bSeq, wrong kind): logged and ignored.
        case ignored(String)
        /// The reader misbehaves (a malformed reply, no reply in time): the caller reopens it.
        case readerError(String)
    }

    private enum State: Equatable {
        /// No card, or not known yet.
        case idle
        /// A command was sent; its reply is due by `deadline`.
        case waiting(CCIDCommand, deadline: MonotonicInstant)
        /// The card has been read (or could not be): nothing until it leaves.
        case held
    }

    private var state = State.idle
    private var nextSeq: UInt8 = 0
    /// The slot this session talks to.
    public let slot: UInt8
    /// How long a reply may take (a time extension adds this times its multiplier).
    public let replyTimeout: Duration
    /// The longest data a reply may carry (the class descriptor's dwMaxCCIDMessageLength less the header).
    public let maximumData: Int

    /// A session for `slot`.
    public init(slot: UInt8 = 0, replyTimeout: Duration = .seconds(1), maximumData: Int = 261) {
        self.slot = slot
        self.replyTimeout = replyTimeout
        self.maximumData = maximumData
    }

    /// Whether a command is waiting for its reply.
    public var isWaiting: Bool { if case .waiting = state { true } else { false } }

    /// A card is present (or not) in the slot.
    public mutating func card(present: Bool, at now: MonotonicInstant) -> [Output] {
        switch (present, state) {
        case (false, .waiting(.iccPowerOff, _)):
            state = .idle  // read already; the power-off's reply may still come, and is ignored
            return []
        case (false, .waiting(let command, _)):
            state = .idle
            return [.unreadable("the card left during \(Self.name(command))")]
        case (false, _):
            state = .idle
            return []
        case (true, .idle):
            return [send(.iccPowerOn(slot: slot, seq: takeSeq()), at: now)]
        case (true, _):
            return []  // being read, or read already: one tap, one read
        }
    }

    /// A bulk IN transfer arrived.
    public mutating func received(_ bytes: [UInt8], at now: MonotonicInstant) -> [Output] {
        let reply: CCIDResponse
        do {
            reply = try CCIDResponse(decoding: bytes, maximumData: maximumData)
        } catch {
            state = .idle
            return [.readerError(error.description)]
        }
        guard case .waiting(let command, let deadline) = state else {
            return [.ignored("a reply with bSeq \(reply.seq) while no command waits")]
        }
        switch command.judge(reply) {
        case .otherCommand(let why):
            return [.ignored(why)]
        case .moreTime(let multiplier):
            state = .waiting(command, deadline: max(deadline, now + replyTimeout * Int(max(multiplier, 1))))
            return []
        case .answer:
            return answered(command, reply, at: now)
        }
    }

    /// Time passes: a reply that is overdue makes the reader's error.
    public mutating func tick(at now: MonotonicInstant) -> [Output] {
        guard case .waiting(let command, let deadline) = state, now >= deadline else { return [] }
        state = .idle
        return [.readerError("no reply to \(Self.name(command)) within \(replyTimeout)")]
    }

    private mutating func answered(_ command: CCIDCommand, _ reply: CCIDResponse, at now: MonotonicInstant) -> [Output]
    {
        switch command {
        case .iccPowerOn:
            guard reply.status == .processed else {
                state = .held
                return [.unreadable("the card did not power on (bError 0x\(String(reply.error, radix: 16)))")]
            }
            return [send(.xfrBlock(slot: slot, seq: takeSeq(), data: CardUID.getData), at: now)]
        case .xfrBlock:
            var outputs: [Output] = []
            if reply.status != .processed {
                outputs.append(.unreadable("Get Data failed (bError 0x\(String(reply.error, radix: 16)))"))
            } else {
                do {
                    outputs.append(.read(uid: try CardUID.uid(fromAnswer: reply.data)))
                } catch .length(let n) {
                    outputs.append(.rejected(CardUID.Failure.length(n).description))
                } catch {
                    outputs.append(.unreadable(error.description))
                }
            }
            outputs.append(send(.iccPowerOff(slot: slot, seq: takeSeq()), at: now))
            return outputs
        case .iccPowerOff, .getSlotStatus, .escape:
            state = .held
            return []
        }
    }

    private mutating func send(_ command: CCIDCommand, at now: MonotonicInstant) -> Output {
        state = .waiting(command, deadline: now + replyTimeout)
        return .send(command)
    }

    private mutating func takeSeq() -> UInt8 {
        defer { nextSeq &+= 1 }
        return nextSeq
    }

    private static func name(_ command: CCIDCommand) -> String {
        switch command {
        case .iccPowerOn: "power-on"
        case .iccPowerOff: "power-off"
        case .getSlotStatus: "a slot status request"
        case .xfrBlock: "Get Data"
        case .escape: "an escape command"
        }
    }
}
