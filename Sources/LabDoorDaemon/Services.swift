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
                switch try prepare(header.arguments, caller) {
                case .answer(let result):
                    return channel.send(ControlEnvelope.success(id: header.id, result: result))
                case .work(let work):
                    guard let result = try onLoop(work, caller: caller, channel: channel, submit: submit) else {
                        return false  // the client went away
                    }
                    return channel.send(ControlEnvelope.success(id: header.id, result: result))
                }
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

    /// How often a waiting client thread looks whether its client is still there.
    static let hangupCheck: Duration = .milliseconds(200)

    /// Runs `work` on the decision loop and waits (on this client thread) for its answer, at most its
    /// patience; nil when the client went away meanwhile. Either way the loop is told (`abandon`), so that an
    /// enrolment nobody waits for any more does not take the next badge read.
    private static func onLoop(
        _ work: ControlRouter.LoopWork, caller: Caller, channel: LineChannel, submit: (LoopRequest) -> Bool
    ) throws(ControlError) -> JSONValue? {
        let answer = Answer()
        let submitted = submit(LoopRequest { daemon in work.run(caller, daemon) { answer.set($0) } })
        guard submitted else { throw ControlError(.stopping, "labdoord is stopping") }
        let deadline = ContinuousClock.now + work.patience
        while true {
            if let result = answer.wait(for: min(hangupCheck, deadline - ContinuousClock.now)) {
                return try result.get()
            }
            let gone = channel.peerHungUp()
            if gone || ContinuousClock.now >= deadline {
                if let abandon = work.abandon { _ = submit(LoopRequest { daemon in abandon(daemon) }) }
                if gone { return nil }
                throw ControlError(
                    .timeout, "labdoord did not answer within \(work.patience.components.seconds) s")
            }
        }
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

    /// Waits up to `duration` for the answer (nil: not yet).
    func wait(for duration: Duration) -> Result<JSONValue, ControlError>? {
        let nanoseconds = max(0, Int(duration.timeInterval * 1e9))
        guard semaphore.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else { return nil }
        return value.withLock { $0 }
    }
}
