import Foundation
import LabDoorCore
import LabDoorProtocol
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The decision loop as a service: on graceful shutdown it finishes the input stream, then relocks, logs the
/// stop and signs the final checkpoint.
struct DecisionLoopService: Service {
    let daemon: DoorDaemon
    let inputs: AsyncStream<DaemonInput>
    let continuation: AsyncStream<DaemonInput>.Continuation

    func run() async throws {
        await withGracefulShutdownHandler {
            await daemon.run(inputs)
        } onGracefulShutdown: {
            continuation.finish()
        }
        await daemon.shutdown()
    }
}

/// Ticks the decision loop four times a second (door timers, checkpoints, watchdog, metrics).
struct TickService: Service {
    static let interval: Duration = .milliseconds(250)
    let continuation: AsyncStream<DaemonInput>.Continuation

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await Task.sleep(for: Self.interval)
            } catch {
                return  // cancelled: the group is stopping
            }
            continuation.yield(.tick)
        }
    }
}

/// SIGHUP → read the configuration again (here, off the decision loop) → hand the result to the loop.
struct ReloadSignalService: Service {
    let configPath: String?
    let continuation: AsyncStream<DaemonInput>.Continuation

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            continuation.yield(.reload(ConfigReload.read(configPath)))
        }
    }
}

/// The badge readers: every reader port started, feeding the decision loop, and stopped at shutdown.
struct ReaderService: Service {
    let readers: [any ReaderPort]
    let continuation: AsyncStream<DaemonInput>.Continuation
    let logger: Logger

    func run() async throws {
        for port in readers {
            do {
                try port.start { [continuation] name, input in continuation.yield(.reader(name, input)) }
            } catch {
                logger.critical(
                    "readers could not start",
                    metadata: ["readers": "\(port.readerNames.joined(separator: ","))", "error": "\(error)"])
                for name in port.readerNames {
                    continuation.yield(.reader(name, .detached("could not start: \(error)")))
                }
            }
        }
        defer { for port in readers { port.stop() } }
        try? await gracefulShutdown()
    }
}

/// The control socket: each request is checked against its command's role, then runs where its route says —
/// on the decision loop, or on the client's thread for reads and streams.
struct ControlService: Service {
    /// How long a client waits for the decision loop.
    static let answerTimeout = 15

    let server: ControlServer
    let router: ControlRouter
    let continuation: AsyncStream<DaemonInput>.Continuation

    func run() async throws {
        server.start { [router, continuation] request, caller, channel in
            Self.respond(to: request, caller: caller, channel: channel, router: router) { work in
                if case .terminated = continuation.yield(.request(work)) { return false }
                return true
            }
        }
        try? await gracefulShutdown()
        server.stop()
    }

    /// Answers one request on `channel`; returns false when the connection should close.
    static func respond(
        to request: JSONValue, caller: Caller, channel: LineChannel, router: ControlRouter,
        submit: (LoopRequest) -> Bool
    ) -> Bool {
        let header: RequestHeader
        do {
            header = try RequestHeader(parsing: request)
        } catch {
            channel.send(ControlEnvelope.failure(id: request["id"] ?? .null, error))
            return error.code != .badVersion  // nothing else this client says will be understood
        }
        guard let route = router.route(header.command) else {
            let error = ControlError(
                .unknownCommand, "unknown command \"\(header.command)\"; this labdoord knows: \(router.names)")
            return channel.send(ControlEnvelope.failure(id: header.id, error))
        }
        do {
            try route.authorize(caller.role, caller.user)
            switch route.handler {
            case .query(let handle):
                return channel.send(
                    ControlEnvelope.success(id: header.id, result: try handle(header.arguments, caller)))
            case .loop(let prepare):
                let work = try prepare(header.arguments)
                let result = try onLoop(work, caller: caller, submit: submit)
                return channel.send(ControlEnvelope.success(id: header.id, result: result))
            case .stream(let handle):
                try handle(header.arguments, caller) { item in
                    channel.send(ControlEnvelope.success(id: header.id, result: item))
                }
                return false
            }
        } catch {
            return channel.send(ControlEnvelope.failure(id: header.id, error))
        }
    }

    /// Runs `work` on the decision loop and waits (on this client thread) for its answer.
    private static func onLoop(
        _ work: ControlRouter.LoopWork, caller: Caller, submit: (LoopRequest) -> Bool
    ) throws(ControlError) -> JSONValue {
        let answer = Answer()
        let submitted = submit(
            LoopRequest { daemon in
                answer.set(Result { () throws(ControlError) -> JSONValue in try work.run(caller, daemon) })
            })
        guard submitted else { throw ControlError(.stopping, "labdoord is stopping") }
        guard let result = answer.wait(seconds: answerTimeout) else {
            throw ControlError(.timeout, "labdoord did not answer within \(answerTimeout) s")
        }
        return try result.get()
    }
}

extension ControlRouter {
    /// The known command names, for the `unknown_command` message.
    var names: String { routes.keys.sorted().joined(separator: ", ") }
}

/// A one-shot answer handed from the decision loop to a waiting client thread.
final class Answer: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let value = Mutex<Result<JSONValue, ControlError>?>(nil)

    /// Delivers the answer (once).
    func set(_ result: Result<JSONValue, ControlError>) {
        value.withLock { $0 = result }
        semaphore.signal()
    }

    /// Waits up to `seconds` for the answer.
    func wait(seconds: Int) -> Result<JSONValue, ControlError>? {
        guard semaphore.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        return value.withLock { $0 }
    }
}
