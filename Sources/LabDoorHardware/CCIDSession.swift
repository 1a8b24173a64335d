public import LabDoorCore

/// The host's side of one CCID reader's slot, without I/O: the libusb code feeds it whether a card is present
/// (NotifySlotChange), each reply and the time; it says what to send and what it found. It asks the slot's status
/// itself — at start, then every `pollInterval` (often, for readers without an interrupt endpoint; seldom
/// otherwise, so that a reader that went mute is found before the next visitor, and a lost notification is made
/// up for). A tap is one read: power on, Get Data for the UID, power off — and a card held on
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
        /// The reader refused a command of its own (feedback): logged; the reader works on.
        case escapeFailed(String)
        /// The reader misbehaves (a malformed reply, no reply in time): the caller reopens it.
        case readerError(String)
    }

    /// The command waiting for its reply, and by when.
    private var waiting: (command: CCIDCommand, deadline: MonotonicInstant)?
    /// Whether a card is on the reader, as last reported.
    private var present = false
    /// Whether the card on the reader has had its one read (or could not be read): nothing until it leaves.
    private var handled = false
    /// Whether a notification arrived while a status poll waited. The poll's answer may then be older than the
    /// notification (the two come on different endpoints, in either order) and its presence is not taken: a card
    /// removed just after the reader answered a poll would otherwise be "present" again, and its power-on fail.
    /// A change after the poll's answer is notified again, so the notification is never the staler of the two.
    private var notifiedDuringPoll = false
    /// Reader commands (feedback) to send when the slot is free, oldest first.
    private var escapes: [[UInt8]] = []
    private var nextPoll: MonotonicInstant?
    private var nextSeq: UInt8 = 0
    /// Whether the reader has answered anything yet (the caller resets its back-off then).
    public private(set) var hasAnswered = false
    /// The slot this session talks to.
    public let slot: UInt8
    /// How long a reply may take (a time extension adds this times its multiplier).
    public let replyTimeout: Duration
    /// The longest data a reply may carry (the class descriptor's dwMaxCCIDMessageLength less the header).
    public let maximumData: Int
    /// How often the slot's status is asked when nothing else is sent.
    public let pollInterval: Duration
    /// At most this many feedback commands wait; older ones are dropped (a newer decision supersedes them).
    public static let escapeQueueLimit = 2

    /// A session for `slot`. `firstSeq` continues a reopened reader's numbering, so that a reply the reader still
    /// had queued for the previous session cannot match a new command's bSeq.
    public init(
        slot: UInt8 = 0, replyTimeout: Duration = .seconds(1), maximumData: Int = 261,
        pollInterval: Duration = .seconds(1), firstSeq: UInt8 = 0
    ) {
        self.nextSeq = firstSeq
        self.slot = slot
        self.replyTimeout = replyTimeout
        self.maximumData = maximumData
        self.pollInterval = pollInterval
    }

    /// The bSeq the next command gets.
    public var nextSequence: UInt8 { nextSeq }

    /// Whether a command is waiting for its reply.
    public var isWaiting: Bool { waiting != nil }

    /// The reader was opened: ask whether a card is on it.
    public mutating func start(at now: MonotonicInstant) -> [Output] {
        nextPoll = now
        return next(at: now)
    }

    /// A card is present (or not) in the slot, as the reader notified (NotifySlotChange).
    public mutating func card(present isPresent: Bool, at now: MonotonicInstant) -> [Output] {
        if case .getSlotStatus = waiting?.command { notifiedDuringPoll = true }
        return presence(isPresent, at: now)
    }

    /// The slot's presence changed (or was confirmed), from a notification or a poll's answer.
    private mutating func presence(_ isPresent: Bool, at now: MonotonicInstant) -> [Output] {
        var outputs: [Output] = []
        if !isPresent {
            present = false
            handled = false
            if let (command, _) = waiting {
                switch command {
                case .iccPowerOn, .xfrBlock:
                    waiting = nil  // its late answer is ignored (bSeq)
                    outputs.append(.unreadable("the card left during \(Self.name(command))"))
                case .iccPowerOff:
                    waiting = nil  // read already; the power-off's reply may still come, and is ignored
                case .getSlotStatus, .escape:
                    break
                }
            }
        } else {
            present = true
        }
        return outputs + next(at: now)
    }

    /// A reader command of its own (an LED/buzzer pseudo-APDU), sent as PC_to_RDR_Escape when the slot is free.
    public mutating func escape(_ data: [UInt8], at now: MonotonicInstant) -> [Output] {
        escapes.append(data)
        if escapes.count > Self.escapeQueueLimit { escapes.removeFirst(escapes.count - Self.escapeQueueLimit) }
        return next(at: now)
    }

    /// A bulk IN transfer arrived.
    public mutating func received(_ bytes: [UInt8], at now: MonotonicInstant) -> [Output] {
        let reply: CCIDResponse
        do {
            reply = try CCIDResponse(decoding: bytes, maximumData: maximumData)
        } catch {
            waiting = nil
            return [.readerError(error.description)]
        }
        guard let (command, deadline) = waiting else {
            return [.ignored("a reply with bSeq \(reply.seq) while no command waits")]
        }
        switch command.judge(reply) {
        case .otherCommand(let why):
            return [.ignored(why)]
        case .moreTime(let multiplier):
            waiting = (command, max(deadline, now + replyTimeout * Int(max(multiplier, 1))))
            return []
        case .answer:
            waiting = nil
            hasAnswered = true
            return answered(command, reply, at: now)
        }
    }

    /// Time passes: a reply that is overdue makes the reader's error; a status poll may be due.
    public mutating func tick(at now: MonotonicInstant) -> [Output] {
        if let (command, deadline) = waiting {
            guard now >= deadline else { return [] }
            waiting = nil
            return [.readerError("no reply to \(Self.name(command)) within \(replyTimeout)")]
        }
        return next(at: now)
    }

    /// What to send when nothing waits: a card's read first, then feedback, then a due status poll.
    private mutating func next(at now: MonotonicInstant) -> [Output] {
        guard waiting == nil else { return [] }
        if present && !handled {
            return [send(.iccPowerOn(slot: slot, seq: takeSeq()), at: now)]
        }
        if !escapes.isEmpty {
            return [send(.escape(slot: slot, seq: takeSeq(), data: escapes.removeFirst()), at: now)]
        }
        if let due = nextPoll, now >= due {
            nextPoll = now + pollInterval
            return [send(.getSlotStatus(slot: slot, seq: takeSeq()), at: now)]
        }
        return []
    }

    private mutating func answered(_ command: CCIDCommand, _ reply: CCIDResponse, at now: MonotonicInstant) -> [Output]
    {
        switch command {
        case .iccPowerOn:
            guard reply.status == .processed else {
                let error = "bError 0x\(String(reply.error, radix: 16))"
                guard reply.card != .absent else {
                    // The reader says the slot is empty: the card left before it could be powered. Not held: the
                    // next card (or this one, back) is a new tap.
                    present = false
                    handled = false
                    return [.unreadable("the card left before power-on (\(error))")] + next(at: now)
                }
                handled = true
                return [.unreadable("the card did not power on (\(error))")] + next(at: now)
            }
            return [send(.xfrBlock(slot: slot, seq: takeSeq(), data: CardUID.getData), at: now)]
        case .xfrBlock:
            handled = true
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
        case .iccPowerOff:
            return next(at: now)
        case .getSlotStatus:
            guard !notifiedDuringPoll else { return next(at: now) }
            return presence(reply.card != .absent, at: now)
        case .escape:
            let ok = reply.status == .processed && reply.data.count >= 2 && reply.data[reply.data.count - 2] == 0x90
            let why = "the reader refused its feedback command (\(Self.hex(reply.data.suffix(2))))"
            return (ok ? [] : [.escapeFailed(why)]) + next(at: now)
        }
    }

    private mutating func send(_ command: CCIDCommand, at now: MonotonicInstant) -> Output {
        waiting = (command, now + replyTimeout)
        notifiedDuringPoll = false
        return .send(command)
    }

    private mutating func takeSeq() -> UInt8 {
        defer { nextSeq &+= 1 }
        return nextSeq
    }

    private static func hex(_ bytes: some Collection<UInt8>) -> String {
        bytes.isEmpty ? "no status word" : bytes.map { UIDFormat.hex.badgeNumber([$0]) }.joined(separator: " ")
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
