import Foundation
import LabDoorCore
import Synchronization

/// The simulated door (`backend = "sim"`): prints each change as one line on standard output, e.g.
/// `door: relay=unlocked reason=granted holder=17` and `door: relay=locked reason=timeout`. Contact and exit
/// button changes come in through the control socket (`labdoorctl door simulate …`).
final class SimulatedDoor: DoorActuator {
    private let output = Mutex(())

    /// A simulated door (the relay starts locked; the caller drives it locked first anyway).
    init() {}

    /// Prints the relay change.
    func setRelay(unlocked: Bool, cause: String, holder: HolderID?) throws {
        emit("door: relay=\(unlocked ? "unlocked" : "locked") reason=\(cause)" + (holder.map { " holder=\($0)" } ?? ""))
    }

    /// Prints the feedback the LEDs would show.
    func signal(_ decision: Decision) {
        emit(
            "door: led=\(decision.isGranted ? "green" : "red") reason=\(decision.reason.rawValue) — \(decision.explanation)"
        )
    }

    /// Nothing to release.
    func close() {}

    private func emit(_ line: String) {
        output.withLock { _ in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
