import LabDoorCore
import LabDoorHardware
import Testing

@Suite("CCID session: one tap, one read; every reply judged")
struct CCIDSessionTests {
    static func at(_ ms: Int64) -> MonotonicInstant { MonotonicInstant(sinceOrigin: .milliseconds(ms)) }

    /// The reply the reader gives to `command` when all goes well, with `data`.
    static func reply(to output: CCIDSession.Output?, data: [UInt8] = []) -> [UInt8] {
        guard case .send(let command) = output else { return [] }
        return CCIDResponse(kind: command.replyKind, seq: command.seq, data: data).encoded
    }

    static let uidAnswer: [UInt8] = [0x04, 0xA2, 0x3F, 0x1B, 0x90, 0x00]

    @Test("a tap: power on, Get Data, the read, power off; held, nothing more; removed and tapped again: a second read")
    func tap() {
        var session = CCIDSession()
        let on = session.card(present: true, at: Self.at(0))
        #expect(on == [.send(.iccPowerOn(slot: 0, seq: 0))])
        let get = session.received(Self.reply(to: on.first, data: [0x3B, 0x8F]), at: Self.at(5))
        #expect(get == [.send(.xfrBlock(slot: 0, seq: 1, data: CardUID.getData))])
        let read = session.received(Self.reply(to: get.first, data: Self.uidAnswer), at: Self.at(10))
        #expect(read == [.read(uid: [0x04, 0xA2, 0x3F, 0x1B]), .send(.iccPowerOff(slot: 0, seq: 2))])
        #expect(session.received(Self.reply(to: read.last), at: Self.at(12)).isEmpty)
        #expect(!session.isWaiting)
        // Held for 5 s, with the reader repeating that a card is present: no second read.
        for ms in stride(from: Int64(100), through: 5000, by: 100) {
            #expect(session.card(present: true, at: Self.at(ms)).isEmpty)
            #expect(session.tick(at: Self.at(ms)).isEmpty)
        }
        #expect(session.card(present: false, at: Self.at(5100)).isEmpty)
        #expect(session.card(present: true, at: Self.at(5200)) == [.send(.iccPowerOn(slot: 0, seq: 3))])
    }

    @Test(
        "a stale reply (wrong bSeq) is ignored, never taken as the answer; silence past the deadline is a reader error")
    func wrongSeqAndMute() {
        var session = CCIDSession(replyTimeout: .milliseconds(500))
        let on = session.card(present: true, at: Self.at(0))
        let stale = CCIDResponse(kind: .dataBlock, seq: 7, data: Self.uidAnswer).encoded
        #expect(session.received(stale, at: Self.at(10)) == [.ignored("bSeq 7, expected 0")])
        #expect(session.isWaiting)
        #expect(session.tick(at: Self.at(499)).isEmpty)
        guard case .readerError(let why) = session.tick(at: Self.at(500)).first else {
            Issue.record("a mute reader was not an error")
            return
        }
        #expect(why.contains("power-on"))
        _ = on
    }

    @Test("a time extension waits longer; the answer after it is taken")
    func timeExtension() {
        var session = CCIDSession(replyTimeout: .milliseconds(500))
        let on = session.card(present: true, at: Self.at(0))
        let more = CCIDResponse(kind: .dataBlock, seq: 0, status: .timeExtension, error: 3).encoded
        #expect(session.received(more, at: Self.at(400)).isEmpty)
        #expect(session.tick(at: Self.at(1000)).isEmpty, "still within 400 + 3 × 500 ms")
        #expect(session.received(Self.reply(to: on.first), at: Self.at(1800)).count == 1)
    }

    @Test("malformed replies are reader errors; failures and impossible UIDs are no read")
    func failures() {
        var session = CCIDSession()
        _ = session.card(present: true, at: Self.at(0))
        #expect(
            session.received([0x80, 0x05, 0, 0, 0, 0, 0, 0, 0, 0], at: Self.at(1)) == [
                .readerError("a CCID message declaring 5 data bytes with 0 received")
            ])

        // Power-on refused by a card that stays on the reader: unreadable, held until it is gone.
        _ = session.card(present: false, at: Self.at(2))
        _ = session.card(present: true, at: Self.at(3))
        let refused = CCIDResponse(kind: .dataBlock, seq: 1, card: .presentInactive, status: .failed, error: 0xFE)
        #expect(
            session.received(refused.encoded, at: Self.at(4)) == [
                .unreadable("the card did not power on (bError 0xfe)")
            ])
        #expect(session.card(present: true, at: Self.at(5)).isEmpty)

        // Power-on refused because the slot is empty (the card left at once): unreadable, and not held — the
        // next card the reader notifies is read.
        _ = session.card(present: false, at: Self.at(6))
        _ = session.card(present: true, at: Self.at(7))
        let gone = CCIDResponse(kind: .dataBlock, seq: 2, card: .absent, status: .failed, error: 0xFE).encoded
        #expect(session.received(gone, at: Self.at(8)) == [.unreadable("the card left before power-on (bError 0xfe)")])
        #expect(session.card(present: true, at: Self.at(9)) == [.send(.iccPowerOn(slot: 0, seq: 3))])
        _ = session.card(present: false, at: Self.at(9))

        // 63 00 to Get Data: unreadable; a 5-byte UID: rejected (counted by the lockout). Both power off.
        for (answer, expected) in [
            ([0x63, 0x00] as [UInt8], CCIDSession.Output.unreadable(CardUID.Failure.status(0x63, 0x00).description)),
            ([1, 2, 3, 4, 5, 0x90, 0x00], .rejected(CardUID.Failure.length(5).description)),
        ] {
            _ = session.card(present: false, at: Self.at(10))
            let on = session.card(present: true, at: Self.at(11))
            let get = session.received(Self.reply(to: on.first), at: Self.at(12))
            let outputs = session.received(Self.reply(to: get.first, data: answer), at: Self.at(13))
            #expect(outputs.first == expected)
            guard case .send(.iccPowerOff) = outputs.last else {
                Issue.record("no power-off after \(answer)")
                return
            }
        }
    }

    @Test("the card leaves mid-exchange: no read, and the late answer is ignored")
    func leftEarly() {
        var session = CCIDSession()
        let on = session.card(present: true, at: Self.at(0))
        let get = session.received(Self.reply(to: on.first), at: Self.at(5))
        #expect(session.card(present: false, at: Self.at(6)) == [.unreadable("the card left during Get Data")])
        guard case .ignored = session.received(Self.reply(to: get.first, data: Self.uidAnswer), at: Self.at(8)).first
        else {
            Issue.record("a late answer after the card left was taken")
            return
        }
    }

    @Test(
        "the slot is polled at start and every interval; a card found by a poll is read once; polls wait for an exchange"
    )
    func polling() {
        var session = CCIDSession(pollInterval: .milliseconds(250))
        let first = session.start(at: Self.at(0))
        #expect(first == [.send(.getSlotStatus(slot: 0, seq: 0))])
        let absent = CCIDResponse(kind: .slotStatus, seq: 0, card: .absent).encoded
        #expect(session.received(absent, at: Self.at(2)).isEmpty)
        #expect(session.tick(at: Self.at(249)).isEmpty)
        let second = session.tick(at: Self.at(250))
        #expect(second == [.send(.getSlotStatus(slot: 0, seq: 1))])
        // This poll finds a card: power on at once.
        let found = session.received(Self.reply(to: second.first), at: Self.at(252))
        #expect(found == [.send(.iccPowerOn(slot: 0, seq: 2))])
        #expect(session.tick(at: Self.at(600)).isEmpty, "no poll while the power-on waits")
        let get = session.received(Self.reply(to: found.first), at: Self.at(601))
        let read = session.received(Self.reply(to: get.first, data: Self.uidAnswer), at: Self.at(602))
        #expect(read.first == .read(uid: [0x04, 0xA2, 0x3F, 0x1B]))
        // The power-off's answer frees the slot; the overdue poll goes out, finds the card still there: no read.
        let poll = session.received(Self.reply(to: read.last), at: Self.at(603))
        #expect(poll == [.send(.getSlotStatus(slot: 0, seq: 5))])
        #expect(session.received(Self.reply(to: poll.first), at: Self.at(604)).isEmpty)
        #expect(session.hasAnswered)
    }

    @Test(
        "a notification that crosses a status poll wins: the poll's older presence neither re-reads a removed card nor hides a new tap"
    )
    func notificationCrossesPoll() {
        var session = CCIDSession(pollInterval: .milliseconds(250))
        _ = session.start(at: Self.at(0))
        let absent = CCIDResponse(kind: .slotStatus, seq: 0, card: .absent).encoded
        #expect(session.received(absent, at: Self.at(1)).isEmpty)
        // A tap, read and powered off.
        let on = session.card(present: true, at: Self.at(10))
        let get = session.received(Self.reply(to: on.first), at: Self.at(11))
        let read = session.received(Self.reply(to: get.first, data: Self.uidAnswer), at: Self.at(12))
        #expect(read.first == .read(uid: [0x04, 0xA2, 0x3F, 0x1B]))
        #expect(session.received(Self.reply(to: read.last), at: Self.at(13)).isEmpty)
        // A poll goes out; the reader answers "present", then the card is removed, and the removal's notification
        // overtakes the poll's answer.
        let poll = session.tick(at: Self.at(300))
        #expect(poll == [.send(.getSlotStatus(slot: 0, seq: 4))])
        #expect(session.card(present: false, at: Self.at(301)).isEmpty)
        let stalePresent = CCIDResponse(kind: .slotStatus, seq: 4, card: .presentInactive).encoded
        #expect(session.received(stalePresent, at: Self.at(302)).isEmpty, "a removed card is not powered on again")
        // The next visitor's tap is read.
        #expect(session.card(present: true, at: Self.at(400)) == [.send(.iccPowerOn(slot: 0, seq: 5))])
        let get2 = session.received(Self.reply(to: .send(.iccPowerOn(slot: 0, seq: 5))), at: Self.at(401))
        let read2 = session.received(Self.reply(to: get2.first, data: Self.uidAnswer), at: Self.at(402))
        #expect(read2.first == .read(uid: [0x04, 0xA2, 0x3F, 0x1B]))
        #expect(session.received(Self.reply(to: read2.last), at: Self.at(403)).isEmpty)
        _ = session.card(present: false, at: Self.at(404))

        // The other way round: a poll the reader answered "absent" just before a tap, overtaken by the tap's
        // notification: the card is read at once, not a poll later.
        let poll2 = session.tick(at: Self.at(600))
        #expect(poll2 == [.send(.getSlotStatus(slot: 0, seq: 8))])
        #expect(session.card(present: true, at: Self.at(601)).isEmpty, "the power-on waits for the poll's answer")
        let staleAbsent = CCIDResponse(kind: .slotStatus, seq: 8, card: .absent).encoded
        #expect(session.received(staleAbsent, at: Self.at(602)) == [.send(.iccPowerOn(slot: 0, seq: 9))])

        // A poll with no notification crossing it is taken as it is.
        var polled = CCIDSession(pollInterval: .milliseconds(250))
        let first = polled.start(at: Self.at(0))
        let found = CCIDResponse(kind: .slotStatus, seq: 0, card: .presentInactive).encoded
        #expect(polled.received(found, at: Self.at(1)) == [.send(.iccPowerOn(slot: 0, seq: 1))])
        _ = first
    }

    @Test(
        "feedback waits for a read to finish, goes out as an Escape, and a refusal is reported; a newer one drops the oldest"
    )
    func feedback() {
        var session = CCIDSession()
        let on = session.card(present: true, at: Self.at(0))
        let led: [UInt8] = [0xFF, 0x00, 0x40, 0xA8, 0x04, 0x0A, 0x01, 0x01, 0x00]
        #expect(session.escape(led, at: Self.at(1)).isEmpty, "the read goes first")
        let get = session.received(Self.reply(to: on.first), at: Self.at(2))
        let read = session.received(Self.reply(to: get.first, data: Self.uidAnswer), at: Self.at(3))
        let escape = session.received(Self.reply(to: read.last), at: Self.at(4))
        #expect(escape == [.send(.escape(slot: 0, seq: 3, data: led))])
        #expect(session.received(Self.reply(to: escape.first, data: [0x90, 0x00]), at: Self.at(5)).isEmpty)

        let refused = session.escape(led, at: Self.at(6))
        guard
            case .escapeFailed(let why) = session.received(
                Self.reply(to: refused.first, data: [0x63, 0x00]), at: Self.at(7)
            ).first
        else {
            Issue.record("a refused feedback command was not reported")
            return
        }
        #expect(why.contains("63 00"))

        // Three queued behind a waiting command: the oldest is dropped.
        let busy = session.escape([1], at: Self.at(8))
        for data: [UInt8] in [[2], [3], [4]] { #expect(session.escape(data, at: Self.at(9)).isEmpty) }
        var sent: [[UInt8]] = []
        var last = busy.first
        for ms in Int64(10)...13 {
            let out = session.received(Self.reply(to: last, data: [0x90, 0x00]), at: Self.at(ms))
            guard case .send(.escape(_, _, let data)) = out.first else { break }
            sent.append(data)
            last = out.first
        }
        #expect(sent == [[3], [4]])
    }
}
