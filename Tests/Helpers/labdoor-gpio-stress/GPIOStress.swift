// Test helper, not shipped: opens and closes the real GPIO door over and over while the caller (hil/scenarios/
// 22-gpio-stress.sh) makes the contact and exit lines bounce, so that closing races debounce checks, edge events
// and LED timers. A use-after-free or a descriptor closed under a live Dispatch source shows as a crash or an
// error here; the scenario then checks that the relay line is left locked.
//
//   labdoor-gpio-stress CHIP ROUNDS    relay = line 0, contact = line 1, exit = line 2, debounce 1 ms
import Foundation
import LabDoorCore
import LabDoorHardware
import Synchronization

@main
struct GPIOStress {
    static func main() {
        let args = CommandLine.arguments
        guard args.count == 3, let rounds = Int(args[2]), rounds > 0 else {
            FileHandle.standardError.write(Data("usage: labdoor-gpio-stress CHIP ROUNDS\n".utf8))
            exit(2)
        }
        var wiring = GPIODoorWiring(chip: args[1], relay: .offset(0))
        wiring.contact = .offset(1)
        wiring.exit = .offset(2)
        wiring.debounce = .milliseconds(1)
        let inputs = Atomic<Int>(0)
        var generator = SystemRandomNumberGenerator()
        for round in 1...rounds {
            do {
                let door = try GPIODoor(wiring: wiring) { _ in inputs.add(1, ordering: .relaxed) }
                try door.setRelay(unlocked: true, cause: "stress", holder: nil)
                door.signal(Decision(reason: .granted, explanation: "stress"))
                usleep(UInt32.random(in: 0...3_000, using: &generator))
                try door.setRelay(unlocked: false, cause: "stress", holder: nil)
                door.signal(Decision(reason: .unknownBadge, explanation: "stress"))
                // Sometimes close while events are queued and a debounce check is pending, sometimes after.
                if Bool.random(using: &generator) { usleep(UInt32.random(in: 0...2_000, using: &generator)) }
                door.close()
                door.close()  // a second close is a no-op
                do {
                    try door.setRelay(unlocked: true, cause: "after close", holder: nil)
                    print("STRESS-FAIL round \(round): a closed door accepted setRelay")
                    exit(1)
                } catch {}
            } catch {
                print("STRESS-FAIL round \(round): \(error)")
                exit(1)
            }
        }
        // Let queued debounce checks and LED timers of the last doors run against their released lines.
        usleep(1_200_000)
        print("STRESS-OK rounds \(rounds) inputs \(inputs.load(ordering: .relaxed))")
    }
}
