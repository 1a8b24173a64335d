import LabDoorCore
import LabDoorProtocol

/// The table of control commands, apart from the loop that runs them (as Hummingbird keeps its router apart
/// from its application): each command type maps to where it runs and one small typed handler. The command's
/// type carries its wire name, its arguments, its result and the role it needs; nothing here spells a name.
struct ControlRouter: Sendable {
    /// A decoded request, ready to run on the decision loop.
    struct LoopWork: Sendable {
        let run: @Sendable (Caller, isolated DoorDaemon) throws(ControlError) -> JSONValue
    }

    /// Where a command runs.
    enum Handler: Sendable {
        /// On the decision loop (it touches the door or writes data): decoded first, on the client's thread.
        case loop(@Sendable (JSONValue) throws(ControlError) -> LoopWork)
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

    private(set) var routes: [String: Route] = [:]

    /// The route for a wire name.
    func route(_ name: String) -> Route? { routes[name] }

    /// Registers a command that runs on the decision loop.
    mutating func loop<C: ControlCommand>(
        _: C.Type, _ handle: @escaping @Sendable (C, Caller, isolated DoorDaemon) throws(ControlError) -> C.Result
    ) {
        add(C.self) { arguments throws(ControlError) in
            let command = try ControlEnvelope.arguments(arguments, as: C.self)
            return LoopWork { caller, daemon throws(ControlError) in
                try Self.encoded(try handle(command, caller, daemon))
            }
        }
    }

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
        _: C.Type, _ prepare: @escaping @Sendable (JSONValue) throws(ControlError) -> LoopWork
    ) {
        routes[C.name] = Route(
            authorize: { role, user throws(ControlError) in try C.authorize(role, user: user) },
            handler: .loop(prepare))
    }

    private static func encoded(_ result: some Encodable) throws(ControlError) -> JSONValue {
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
