import Foundation
import LabDoorCore
import Testing

@Suite("Door state machine")
struct DoorControllerTests {
    var door = DoorController(settings: .init(unlockDuration: .seconds(5), heldOpenAfter: .seconds(30)))
    var t: Int64 = 1000
    let wall = Date(timeIntervalSince1970: 1_800_000_000)

    mutating func at(_ seconds: Int64, _ input: DoorController.Input) -> [DoorController.Action] {
        t = seconds
        return door.handle(
            input, now: wall.addingTimeInterval(TimeInterval(seconds)),
            monotonic: MonotonicInstant(sinceOrigin: .seconds(seconds)))
    }

    func kinds(_ actions: [DoorController.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .relay(let unlocked, _, _): unlocked ? "UNLOCK" : "LOCK"
            case .event(let kind, _, let alarm): alarm ? "ALARM:\(kind.rawValue)" : kind.rawValue
            }
        }
    }

    @Test("a grant unlocks for unlock_seconds, relay first, then relocks on time")
    mutating func grantTimesOut() {
        #expect(kinds(at(0, .granted(HolderID(rawValue: 17)))) == ["UNLOCK", "door_unlocked"])
        #expect(kinds(at(4, .tick)).isEmpty)
        #expect(door.relayUnlocked)
        #expect(kinds(at(5, .tick)) == ["LOCK", "door_relocked"])
        #expect(!door.relayUnlocked)
    }

    @Test("the relay relocks early once the door opened and closed again")
    mutating func earlyRelock() {
        _ = at(0, .granted(nil))
        #expect(kinds(at(1, .contact(open: true))) == ["door_opened"])
        #expect(kinds(at(2, .contact(open: false))) == ["door_closed", "LOCK", "door_relocked"])
    }

    @Test("opening while locked is a forced door; a pull right at relock is not")
    mutating func forced() {
        #expect(kinds(at(0, .contact(open: true))) == ["door_opened", "ALARM:door_forced"])
        _ = at(1, .contact(open: false))
        _ = at(10, .granted(nil))
        _ = at(15, .tick)  // relocked at 15
        #expect(kinds(at(15, .contact(open: true))) == ["door_opened"])
    }

    @Test("a door open longer than held_open_seconds alarms once")
    mutating func heldOpen() {
        _ = at(0, .granted(nil))
        _ = at(1, .contact(open: true))
        #expect(kinds(at(5, .tick)) == ["LOCK", "door_relocked"])  // the relay relocks; the door stays open
        #expect(kinds(at(30, .tick)).isEmpty)
        #expect(kinds(at(31, .tick)) == ["ALARM:door_held_open"])
        #expect(kinds(at(40, .tick)).isEmpty)
    }

    @Test("the exit button unlocks, also in lockdown")
    mutating func exitButton() {
        _ = at(0, .mode(.lockdown))
        #expect(kinds(at(1, .exitRequest)) == ["exit_request", "UNLOCK", "door_unlocked"])
        #expect(kinds(at(6, .tick)) == ["LOCK", "door_relocked"])
    }

    @Test("lockdown relocks at once; hold-open unlocks until its end, without held-open alarms")
    mutating func modes() {
        _ = at(0, .remoteUnlock(.seconds(600)))
        #expect(kinds(at(1, .mode(.lockdown))) == ["LOCK", "door_relocked"])
        let until = wall.addingTimeInterval(100)
        #expect(kinds(at(2, .mode(.holdOpen(until: until)))) == ["UNLOCK", "door_unlocked"])
        _ = at(3, .contact(open: true))
        #expect(kinds(at(50, .tick)).isEmpty)
        #expect(kinds(at(60, .contact(open: false))) == ["door_closed"])
        #expect(door.relayUnlocked)
        #expect(kinds(at(100, .tick)) == ["LOCK", "door_relocked"])
        #expect(door.mode == .normal)
    }

    @Test("releasing a mode does not cut short a grant's unlock")
    mutating func releaseKeepsGrant() {
        _ = at(0, .granted(nil))
        #expect(kinds(at(1, .mode(.normal))).isEmpty)
        #expect(kinds(at(5, .tick)) == ["LOCK", "door_relocked"])
        _ = at(10, .mode(.holdOpen(until: wall.addingTimeInterval(100))))
        #expect(kinds(at(11, .mode(.normal))) == ["LOCK", "door_relocked"])
    }

    @Test("a remote unlock --for lasts its duration; lock ends it early")
    mutating func remote() {
        _ = at(0, .remoteUnlock(.seconds(60)))
        #expect(kinds(at(59, .tick)).isEmpty)
        #expect(kinds(at(60, .tick)) == ["LOCK", "door_relocked"])
        _ = at(70, .remoteUnlock(.seconds(60)))
        #expect(kinds(at(71, .lock)) == ["LOCK", "door_relocked"])
    }
}
