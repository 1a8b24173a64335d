import Foundation
import LabDoorCore
import LabDoorHardware
import LabDoorStore
import Logging
import ServiceLifecycle
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
    let continuation: AsyncStream<DaemonInput>.Continuation

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            continuation.yield(.tick)
        }
    }
}

/// SIGHUP → reload.
struct ReloadSignalService: Service {
    let continuation: AsyncStream<DaemonInput>.Continuation

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            continuation.yield(.reload)
        }
    }
}

/// The badge readers: line readers on their own threads, USB readers on the libusb event thread, all feeding
/// the decision loop.
struct ReaderService: Service {
    let readers: [LineReader]
    let usb: USBReaderHub?
    let continuation: AsyncStream<DaemonInput>.Continuation
    let logger: Logger

    func run() async throws {
        if let usb {
            do {
                try usb.start()
            } catch {
                logger.critical("USB readers could not start", metadata: ["error": "\(error)"])
            }
        }
        defer { usb?.stop() }
        for reader in readers {
            do {
                try reader.start { [continuation] input in continuation.yield(.reader(reader.name, input)) }
            } catch {
                logger.error("reader could not start", metadata: ["reader": "\(reader.name)", "error": "\(error)"])
                continuation.yield(.reader(reader.name, .detached("could not start: \(error)")))
            }
        }
        try? await gracefulShutdown()
    }
}

/// The control socket.
struct ControlService: Service {
    let server: ControlServer
    let store: LabDoorStore
    let continuation: AsyncStream<DaemonInput>.Continuation

    func run() async throws {
        server.start { [store, continuation] request, caller, connection in
            if request["cmd"]?.stringValue == "events.follow" {
                Self.follow(request, store: store, connection: connection)
                return nil
            }
            return Self.forward(request, caller: caller, continuation: continuation)
        }
        try? await gracefulShutdown()
        server.stop()
    }

    /// Hands a request to the decision loop and waits for its answer (on the client's thread).
    static func forward(
        _ request: JSONValue, caller: Caller, continuation: AsyncStream<DaemonInput>.Continuation
    ) -> JSONValue {
        let answer = Answer()
        let result = continuation.yield(.request(request, caller, reply: { answer.set($0) }))
        if case .terminated = result {
            return ControlServer.error(id: request["id"] ?? .null, code: "stopping", message: "labdoord is stopping")
        }
        return answer.wait(seconds: 15)
            ?? ControlServer.error(
                id: request["id"] ?? .null, code: "timeout", message: "labdoord did not answer within 15 s")
    }

    /// Streams committed events to the client until it goes away (a heartbeat every 5 s finds out).
    static func follow(_ request: JSONValue, store: LabDoorStore, connection: Connection) {
        let id = request["id"] ?? .null
        var after = request["args"]?["after"]?.intValue ?? ((try? store.events(EventFilter(limit: 1)))?.last?.seq ?? 0)
        var quiet = 0
        while true {
            let events = (try? store.events(EventFilter(afterSeq: after, limit: nil))) ?? []
            for event in events {
                let line = JSONValue.object([
                    ("v", .int(ControlServer.protocolVersion)), ("id", id), ("ok", .bool(true)), ("event", event.json),
                ])
                guard connection.send(line) else { return }
                after = event.seq
            }
            quiet = events.isEmpty ? quiet + 1 : 0
            if quiet >= 20 {
                quiet = 0
                guard
                    connection.send(
                        .object([
                            ("v", .int(ControlServer.protocolVersion)), ("id", id), ("ok", .bool(true)),
                            ("heartbeat", .bool(true)),
                        ]))
                else { return }
            }
            usleep(250_000)
        }
    }
}

/// A one-shot answer handed from the decision loop to a waiting client thread.
final class Answer: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var value: JSONValue?

    func set(_ value: JSONValue) {
        lock.withLock { self.value = value }
        semaphore.signal()
    }

    func wait(seconds: Int) -> JSONValue? {
        guard semaphore.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        return lock.withLock { value }
    }
}
