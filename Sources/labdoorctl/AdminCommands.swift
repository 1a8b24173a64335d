import ArgumentParser
import Foundation
import LabDoorCore
import LabDoorProtocol

/// Sends `command` to the daemon and prints its result: JSON (the protocol's result, as documented) with
/// `--format json`, otherwise `table(result)`.
func send<C: ControlCommand>(_ command: C, _ global: GlobalOptions, table: (C.Result) -> String) throws {
    let result = try ControlClient(socketPath: global.socket).call(command)
    if global.format == .json {
        do {
            print(try ControlEncoder().encode(result))
        } catch {
            throw Failure("cannot print the result as JSON: \(error)")
        }
    } else {
        print(table(result))
    }
}

extension LabDoorCtl {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the door, readers, log and clock.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try send(StatusCommand(), global) { s in
                var lines = [
                    "Site:    \(TextEscaping.escaped(s.site)) (\(s.timeZone))",
                    "Door:    \(Door.show(s.door))",
                ]
                for reader in s.readers {
                    lines.append("Reader:  \(TextEscaping.escaped(reader.name)) (\(reader.backend)): \(reader.state)")
                }
                lines.append(
                    "Log:     last seq \(s.log.lastSeq), \(s.log.pending) pending"
                        + (s.log.degraded ? ", DEGRADED (cannot write)" : ""))
                lines.append(
                    "Clock:   \(s.clock.trusted ? "synchronised" : "NOT synchronised (only staff can enter)")")
                return lines.joined(separator: "\n")
            }
        }
    }

    struct Holder: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage badge holders.", subcommands: [Add.self, List.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a holder; prints it (with its id).")
            @Option(help: "The holder's name.") var name: String
            @Option(help: "The access profile (visitor, member, staff, or a configured one).") var profile: String
            @Option(help: "Organisation.") var org: String?
            @Option(help: "E-mail.") var email: String?
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(HolderAddCommand(name: name, profile: profile, organisation: org, email: email), global) {
                    "added holder \($0.id): \(TextEscaping.escaped($0.name)) (\(TextEscaping.escaped($0.profile)))"
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List holders.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(HolderListCommand(), global) { holders in
                    holders.map { h in
                        "\(h.id)\t\(TextEscaping.escaped(h.name))\t\(TextEscaping.escaped(h.profile))"
                            + (h.suspended ? "\tSUSPENDED" : "")
                    }
                    .joined(separator: "\n")
                }
            }
        }
    }

    struct Badge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign and revoke badges.", subcommands: [Assign.self, Revoke.self])

        struct Assign: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Assign a badge number to a holder (only its fingerprint is stored).")
            @Argument(help: "The badge number.") var number: String
            @Option(help: "The holder id.") var holder: Int64
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(BadgeAssignCommand(number: number, holder: holder), global) {
                    "assigned badge …\($0.last4) to holder \($0.holder)"
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a badge: it never opens again (its reads are logged).")
            @Argument(help: "The badge number.") var number: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(BadgeRevokeCommand(number: number), global) { "revoked badge …\($0.revoked)" }
            }
        }
    }

    struct Registration: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Manage registrations.", subcommands: [Add.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Register a holder for [from, until); times in the site zone unless they carry an offset.")
            @Option(help: "The holder id.") var holder: Int64
            @Option(help: "Start (YYYY-MM-DD or YYYY-MM-DDTHH:MM).") var from: String
            @Option(help: "End, exclusive.") var until: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(RegistrationAddCommand(holder: holder, from: from, until: until), global) {
                    "registration \($0.id): holder \($0.holder) from \($0.from) until \($0.until)"
                }
            }
        }
    }

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
