import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorTestKit
import Logging

@testable import LabDoorDaemon

/// The decision loop over the TestKit's fakes: a manual clock, a scripted reader ("entry"), a recording door and
/// alarms, an in-memory store — no process, no socket, no sleep. Inputs go to the loop one at a time and each
/// `await` returns once the loop has handled it.
struct DaemonRig {
    /// Tuesday 5 January 2027, 10:00 in Helsinki: the Lab is open.
    static let tuesdayMorning = Fixtures.helsinkiInstant("2027-01-05 10:00")

    let timeline = Timeline()
    let clock: ManualClock
    let store: InMemoryStore
    let door: RecordingDoor
    let reader: ScriptedReader
    let alarms: RecordingAlarms
    let daemon: DoorDaemon
    let router: ControlRouter

    /// A rig whose store `seed` fills before the daemon starts.
    init(
        at start: Date = tuesdayMorning, synchronised: Bool = true, configPath: String? = nil,
        configure: (inout LabDoorConfiguration) -> Void = { _ in },
        seed: (InMemoryStore) throws -> Void = { _ in }
    ) async throws {
        clock = ManualClock(wall: start, synchronised: synchronised)
        store = InMemoryStore(timeline: timeline)
        door = RecordingDoor(timeline: timeline)
        reader = ScriptedReader("entry", timeline: timeline)
        alarms = RecordingAlarms(timeline: timeline)
        try seed(store)
        var config = try LabDoorConfiguration.labDefaults()
        config.readers = [ReaderSettings(name: "entry", backend: .fifo)]
        configure(&config)
        let alarms = alarms
        let ports = DaemonPorts(
            store: store, door: door, readers: [reader], clock: clock, alarms: { _ in alarms })
        daemon = DoorDaemon(
            config: config, configPath: configPath, ports: ports, lastSeq: 0,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            notifier: SystemdNotifier(environment: [:]))
        router = ControlRouter.standard(store: store, view: daemon.view)
        await daemon.start(uncleanPrevious: false)
    }

    // MARK: Inputs

    /// A badge read on `reader`.
    func badge(_ number: String, on reader: String = "entry") async {
        await daemon.handle(.reader(reader, .read(number)))
    }

    /// Lets time pass on both clocks, then ticks the loop (as the tick service does four times a second).
    func advance(_ duration: Duration) async {
        clock.advance(by: duration)
        await daemon.handle(.tick)
    }

    /// One tick without time passing.
    func tick() async { await daemon.handle(.tick) }

    /// Sends a control command as a caller with `role`, through the router and the protocol's encoding, as a
    /// client on the socket would; returns the decoded result.
    func send<C: ControlCommand>(
        _ command: C, as role: ControlRole = .admin, user: String = "kaisa"
    ) async throws(ControlError) -> C.Result {
        guard let route = router.route(C.name) else { throw ControlError(.unknownCommand, C.name) }
        try route.authorize(role, user)
        let arguments: JSONValue
        do {
            arguments = try ControlEncoder().encode(command)
        } catch {
            throw ControlError(.badRequest, "\(error)")
        }
        let caller = Caller(pid: 4242, uid: 1000, user: user, role: role)
        let result: JSONValue
        switch route.handler {
        case .loop(let prepare):
            switch try prepare(arguments, caller) {
            case .answer(let answered):
                result = answered
            case .work(let work):
                let answer = Answer()
                await daemon.handle(.request(LoopRequest { daemon in work.run(caller, daemon) { answer.set($0) } }))
                guard let answered = answer.wait(for: .zero) else { throw ControlError(.timeout, "no answer") }
                result = try answered.get()
            }
        case .query(let handle):
            result = try handle(arguments, caller)
        case .stream:
            throw ControlError(.badRequest, "use the follower for streams")
        }
        return try ControlEnvelope.result(of: ControlEnvelope.success(id: .int(1), result: result), for: C.self)
    }

    // MARK: What happened

    /// The committed events of `kind`.
    func events(_ kind: EventKind) -> [LoggedEvent] { store.logged.filter { $0.record.kind == kind } }

    /// The last badge decision committed.
    var lastDecision: EventRecord? { events(.badgeDecision).last?.record }
}

extension Fixtures {
    /// An instant in Helsinki from `YYYY-MM-DD HH:MM`.
    static func at(_ text: String) -> Date { helsinkiInstant(text) }
}
