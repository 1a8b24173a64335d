import Foundation
import Synchronization

/// A serial executor that runs its jobs on one thread of its own, so that the decision loop's blocking work —
/// SQLite commits with fsync, GPIO ioctls, reading the clock-trust file — never occupies a thread of Swift's
/// shared cooperative pool (STYLE.md: blocking calls never run there).
///
/// The thread lives as long as the executor; `DoorDaemon` owns one.
final class DedicatedThreadExecutor: SerialExecutor, Sendable {
    /// The jobs waiting, shared with the thread (which must not keep the executor alive).
    private final class JobQueue: Sendable {
        struct State {
            var jobs: [UnownedJob] = []
            var stopping = false
        }

        let state = Mutex(State())
        let wake = DispatchSemaphore(value: 0)

        func run(on executor: UnownedSerialExecutor) {
            while true {
                wake.wait()
                let (jobs, stopping) = state.withLock { state -> ([UnownedJob], Bool) in
                    defer { state.jobs.removeAll(keepingCapacity: true) }
                    return (state.jobs, state.stopping)
                }
                for job in jobs { job.runSynchronously(on: executor) }
                if stopping { return }
            }
        }
    }

    private let jobs = JobQueue()

    /// Starts the thread, named `name` (visible in `top -H` and core dumps).
    init(name: String) {
        let executor = UnownedSerialExecutor(ordinary: self)
        let thread = Thread { [jobs] in jobs.run(on: executor) }
        thread.name = name
        thread.start()
    }

    deinit {
        jobs.state.withLock { $0.stopping = true }
        jobs.wake.signal()
    }

    /// Queues a job for the thread.
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.state.withLock { $0.jobs.append(unowned) }
        jobs.wake.signal()
    }

    /// This executor, for an actor's `unownedExecutor`.
    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}
