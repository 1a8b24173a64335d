import LabDoorCore
import LabDoorProtocol
import Synchronization

/// The table of control commands, apart from the loop that runs them (as Hummingbird keeps its router apart
/// from its application): each command type maps to where it runs and one small typed handler. The command's
/// type carries its wire name, its arguments, its result and the role it needs; nothing here spells a name.
struct ControlRouter: Sendable {
    /// How a loop handler answers: at once, or later (an enrolment answers with the next read).
    typealias Reply = @Sendable (Result<JSONValue, ControlError>) -> Void

    /// A decoded request, ready to run on the decision loop.
    struct LoopWork: Sendable {
        /// Runs on the loop; answers through the reply exactly once.
        let run: @Sendable (Caller, isolated DoorDaemon, @escaping Reply) -> Void
        /// How long the client waits for the answer.
        let patience: Duration
        /// Runs on the loop when the client went away or gave up before the answer (nil: nothing to undo).
        let abandon: (@Sendable (isolated DoorDaemon) -> Void)?
    }

    /// What a loop command's preparation (on the client's thread) produced.
    enum Prepared: Sendable {
        /// Work for the loop.
        case work(LoopWork)
        /// The answer itself: nothing needed the loop (a dry run).
        case answer(JSONValue)
    }

    /// Where a command runs.
    enum Handler: Sendable {
        /// On the decision loop (it touches the door or writes data): decoded — and, for some, parsed — first, on
        /// the client's thread.
        case loop(@Sendable (JSONValue, Caller) throws(ControlError) -> Prepared)
        /// On the client's connection thread, reading the store's own reader connections: never delays the loop.
        case query(@Sendable (JSONValue, Caller) throws(ControlError) -> JSONValue)
        /// On the client's connection thread, streaming results (`emit` returns false once the client is gone).
        case stream(@Sendable (JSONValue, Caller, _ emit: (JSONValue) -> Bool) throws(ControlError) -> Void)
    }

    /// One command's route.
    struct Route: Sendable {
        /// The role check of the command type.
        let authorize: @Sendable (ControlRole, String) throws(ControlError) -> Void
        let handler: Handler
    }

    /// How long a client waits for the decision loop.
    static let loopPatience: Duration = .seconds(15)

    private(set) var routes: [String: Route] = [:]

    /// The route for a wire name.
    func route(_ name: String) -> Route? { routes[name] }

    /// Registers a command that runs on the decision loop and answers at once.
    mutating func loop<C: ControlCommand>(
        _: C.Type, _ handle: @escaping @Sendable (C, Caller, isolated DoorDaemon) throws(ControlError) -> C.Result
    ) {
        prepared(C.self) { command, _ throws(ControlError) in
            command
        } run: {
            command, caller, daemon throws(ControlError) in
            try handle(command, caller, daemon)
        }
    }

    /// Registers a loop command whose arguments are worked on first, on the client's thread (`prepare`: parsing a
    /// file, checking it — never on the loop), or answered there outright (`answer`, e.g. a dry run).
    mutating func prepared<C: ControlCommand, P: Sendable>(
        _: C.Type, answer: (@Sendable (C, Caller) throws(ControlError) -> C.Result?)? = nil,
        prepare: @escaping @Sendable (C, Caller) throws(ControlError) -> P,
        run: @escaping @Sendable (P, Caller, isolated DoorDaemon) throws(ControlError) -> C.Result
    ) {
        add(C.self) { arguments, caller throws(ControlError) in
            let command = try ControlEnvelope.arguments(arguments, as: C.self)
            if let answer, let result = try answer(command, caller) { return .answer(try Self.encoded(result)) }
            let prepared = try prepare(command, caller)
            return .work(
                LoopWork(
                    run: { caller, daemon, reply in
                        reply(Result { () throws(ControlError) in try Self.encoded(try run(prepared, caller, daemon)) })
                    }, patience: Self.loopPatience, abandon: nil))
        }
    }

    /// Registers a loop command that answers later, through `reply` (once), within `patience`; `abandon` runs
    /// on the loop if the client goes away first. Each request gets its own token, so that `abandon` undoes only
    /// its own request.
    mutating func deferred<C: ControlCommand>(
        _: C.Type, patience: @escaping @Sendable (C) -> Duration,
        _ handle:
            @escaping @Sendable (
                C, Caller, isolated DoorDaemon, _ token: UInt64,
                _ reply: @escaping @Sendable (Result<C.Result, ControlError>) -> Void
            ) throws(ControlError) -> Void,
        abandon: @escaping @Sendable (C, isolated DoorDaemon, _ token: UInt64) -> Void
    ) {
        add(C.self) { arguments, _ throws(ControlError) in
            let command = try ControlEnvelope.arguments(arguments, as: C.self)
            let token = Self.tokens.add(1, ordering: .relaxed).newValue
            return .work(
                LoopWork(
                    run: { caller, daemon, reply in
                        do throws(ControlError) {
                            try handle(command, caller, daemon, token) { result in
                                reply(
                                    result.flatMap { value in
                                        Result { () throws(ControlError) in try Self.encoded(value) }
                                    })
                            }
                        } catch {
                            reply(.failure(error))
                        }
                    }, patience: patience(command),
                    abandon: { daemon in abandon(command, daemon, token) }))
        }
    }

    private static let tokens = Atomic<UInt64>(0)

    /// Registers a read-only command that runs on the client's thread.
    mutating func query<C: ControlCommand>(
        _: C.Type, _ handle: @escaping @Sendable (C, Caller) throws(ControlError) -> C.Result
    ) {
        routes[C.name] = Route(
            authorize: { role, user throws(ControlError) in try C.authorize(role, user: user) },
            handler: .query { arguments, caller throws(ControlError) in
                try Self.encoded(try handle(try ControlEnvelope.arguments(arguments, as: C.self), caller))
            })
    }

    /// Registers a streaming command that runs on the client's thread.
    mutating func stream<C: ControlCommand>(
        _: C.Type, _ handle: @escaping @Sendable (C, Caller, (C.Result) -> Bool) throws(ControlError) -> Void
    ) {
        routes[C.name] = Route(
            authorize: { role, user throws(ControlError) in try C.authorize(role, user: user) },
            handler: .stream { arguments, caller, emit throws(ControlError) in
                let command = try ControlEnvelope.arguments(arguments, as: C.self)
                try handle(command, caller) { item in
                    guard let json = try? ControlEncoder().encode(item) else { return false }
                    return emit(json)
                }
            })
    }

    private mutating func add<C: ControlCommand>(
        _: C.Type, _ prepare: @escaping @Sendable (JSONValue, Caller) throws(ControlError) -> Prepared
    ) {
        routes[C.name] = Route(
            authorize: { role, user throws(ControlError) in try C.authorize(role, user: user) },
            handler: .loop(prepare))
    }

    static func encoded(_ result: some Encodable) throws(ControlError) -> JSONValue {
        do {
            return try ControlEncoder().encode(result)
        } catch {
            throw ControlError(.failed, "the result could not be encoded: \(error)")
        }
    }
}

/// A store refusal as a control error (`refused`, with the store's message saying what to do).
func refused<T>(_ body: () throws(StoreError) -> T) throws(ControlError) -> T {
    do {
        return try body()
    } catch {
        throw ControlError(.refused, error.description)
    }
}
