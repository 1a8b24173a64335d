import ArgumentParser
import Foundation
import LabDoorCore
import LabDoorProtocol

extension LabDoorCtl {
    struct Door: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show and control the door.",
            subcommands: [
                DoorStatus.self, Unlock.self, Lock.self, Lockdown.self, HoldOpen.self, Release.self, Simulate.self,
            ])

        static func show(_ door: LabDoorProtocol.DoorStatus) -> String {
            "relay \(door.relay), contact \(door.contact), mode \(door.mode)"
                + (door.holdUntil.map { " until \($0)" } ?? "")
        }

        static func call<C: ControlCommand>(_ global: GlobalOptions, _ command: C) throws
        where C.Result == LabDoorProtocol.DoorStatus {
            try send(command, global, table: show)
        }

        struct DoorStatus: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "status", abstract: "Show the relay, contact and mode.")
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, DoorStatusCommand()) }
        }

        struct Unlock: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Unlock now, for unlock_seconds or --for (e.g. 90s, 15m, 2h).")
            @Option(name: .customLong("for"), help: "How long.") var duration: String?
            @OptionGroup var global: GlobalOptions
            func run() throws {
                var seconds: Int64?
                if let duration {
                    guard let parsed = parseDuration(duration) else {
                        throw ValidationError("--for \(duration): write e.g. 90s, 15m or 2h")
                    }
                    seconds = parsed
                }
                try Door.call(global, DoorUnlockCommand(seconds: seconds))
            }
        }

        struct Lock: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Lock now (ends an unlock or hold-open).")
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, DoorLockCommand()) }
        }

        struct Lockdown: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Turn lockdown on or off (only lockdown_override profiles enter).")
            @Argument(help: "on or off.") var state: String
            @OptionGroup var global: GlobalOptions
            func validate() throws {
                guard state == "on" || state == "off" else {
                    throw ValidationError("write lockdown on or lockdown off")
                }
            }
            func run() throws { try Door.call(global, DoorLockdownCommand(on: state == "on")) }
        }

        struct HoldOpen: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "hold-open", abstract: "Keep the door unlocked until a time.")
            @Option(help: "Until (YYYY-MM-DDTHH:MM, site zone, or with an offset).") var until: String
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, DoorHoldOpenCommand(until: until)) }
        }

        struct Release: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "End lockdown or hold-open: back to normal.")
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, DoorReleaseCommand()) }
        }

        struct Simulate: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Simulate a door input (sim backend): contact=open, contact=closed or exit.")
            @Argument(help: "contact=open, contact=closed or exit.") var input: String
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, DoorSimulateCommand(input: input)) }
        }
    }
}
