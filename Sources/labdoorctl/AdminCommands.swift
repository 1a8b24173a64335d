import ArgumentParser
import Foundation
import LabDoorCore

/// Prints a daemon result: JSON as is, otherwise `table(result)`.
func output(_ result: JSONValue, _ format: OutputFormat, table: (JSONValue) -> String) {
    print(format == .json ? result.description : table(result))
}

extension LabDoorCtl {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the door, readers, log and clock.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let status = try ControlClient(socketPath: global.socket).call("status")
            output(status, global.format) { s in
                let door = s["door"]
                var lines = [
                    "Site:    \(s["site"]?.stringValue ?? "?") (\(s["time_zone"]?.stringValue ?? "?"))",
                    "Door:    relay \(door?["relay"]?.stringValue ?? "?"), contact \(door?["contact"]?.stringValue ?? "?"), mode \(door?["mode"]?.stringValue ?? "?")"
                        + (door?["hold_until"]?.stringValue.map { " until \($0)" } ?? ""),
                ]
                if case .array(let readers)? = s["readers"] {
                    for reader in readers {
                        lines.append(
                            "Reader:  \(reader["name"]?.stringValue ?? "?") (\(reader["backend"]?.stringValue ?? "?")): \(reader["state"]?.stringValue ?? "?")"
                        )
                    }
                }
                let log = s["log"]
                lines.append(
                    "Log:     last seq \(log?["last_seq"]?.intValue ?? 0), \(log?["pending"]?.intValue ?? 0) pending"
                        + (log?["degraded"]?.boolValue == true ? ", DEGRADED (cannot write)" : ""))
                lines.append(
                    "Clock:   \(s["clock"]?["trusted"]?.boolValue == true ? "synchronised" : "NOT synchronised (only staff can enter)")"
                )
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
                var args: [(String, JSONValue)] = [("name", .string(name)), ("profile", .string(profile))]
                if let org { args.append(("organisation", .string(org))) }
                if let email { args.append(("email", .string(email))) }
                let holder = try ControlClient(socketPath: global.socket).call("holder.add", args)
                output(holder, global.format) {
                    "added holder \($0["id"]?.intValue ?? 0): \($0["name"]?.stringValue ?? "") (\($0["profile"]?.stringValue ?? ""))"
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List holders.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let holders = try ControlClient(socketPath: global.socket).call("holder.list")
                output(holders, global.format) { list in
                    guard case .array(let items) = list else { return "" }
                    return items.map { h in
                        "\(h["id"]?.intValue ?? 0)\t\(h["name"]?.stringValue ?? "")\t\(h["profile"]?.stringValue ?? "")"
                            + (h["suspended"]?.boolValue == true ? "\tSUSPENDED" : "")
                    }.joined(separator: "\n")
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
                let badge = try ControlClient(socketPath: global.socket).call(
                    "badge.assign", [("number", .string(number)), ("holder", .int(holder))])
                output(badge, global.format) {
                    "assigned badge …\($0["last4"]?.stringValue ?? "") to holder \($0["holder"]?.intValue ?? 0)"
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a badge: it never opens again (its reads are logged).")
            @Argument(help: "The badge number.") var number: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let result = try ControlClient(socketPath: global.socket).call(
                    "badge.revoke", [("number", .string(number))])
                output(result, global.format) { "revoked badge …\($0["revoked"]?.stringValue ?? "")" }
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
                let result = try ControlClient(socketPath: global.socket).call(
                    "registration.add", [("holder", .int(holder)), ("from", .string(from)), ("until", .string(until))])
                output(result, global.format) {
                    "registration \($0["id"]?.intValue ?? 0): holder \(holder) from \($0["from"]?.stringValue ?? "") until \($0["until"]?.stringValue ?? "")"
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

        static func show(_ result: JSONValue) -> String {
            "relay \(result["relay"]?.stringValue ?? "?"), contact \(result["contact"]?.stringValue ?? "?"), mode \(result["mode"]?.stringValue ?? "?")"
                + (result["hold_until"]?.stringValue.map { " until \($0)" } ?? "")
        }

        static func call(_ global: GlobalOptions, _ command: String, _ args: [(String, JSONValue)] = []) throws {
            output(try ControlClient(socketPath: global.socket).call(command, args), global.format, table: show)
        }

        struct DoorStatus: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "status", abstract: "Show the relay, contact and mode.")
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, "door.status") }
        }

        struct Unlock: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Unlock now, for unlock_seconds or --for (e.g. 90s, 15m, 2h).")
            @Option(name: .customLong("for"), help: "How long.") var duration: String?
            @OptionGroup var global: GlobalOptions
            func run() throws {
                var args: [(String, JSONValue)] = []
                if let duration {
                    guard let seconds = parseDuration(duration) else {
                        throw ValidationError("--for \(duration): write e.g. 90s, 15m or 2h")
                    }
                    args.append(("for", .int(seconds)))
                }
                try Door.call(global, "door.unlock", args)
            }
        }

        struct Lock: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Lock now (ends an unlock or hold-open).")
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, "door.lock") }
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
            func run() throws { try Door.call(global, "door.lockdown", [("on", .bool(state == "on"))]) }
        }

        struct HoldOpen: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "hold-open", abstract: "Keep the door unlocked until a time.")
            @Option(help: "Until (YYYY-MM-DDTHH:MM, site zone, or with an offset).") var until: String
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, "door.hold_open", [("until", .string(until))]) }
        }

        struct Release: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "End lockdown or hold-open: back to normal.")
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, "door.release") }
        }

        struct Simulate: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Simulate a door input (sim backend): contact=open, contact=closed or exit.")
            @Argument(help: "contact=open, contact=closed or exit.") var input: String
            @OptionGroup var global: GlobalOptions
            func run() throws { try Door.call(global, "door.simulate", [("input", .string(input))]) }
        }
    }
}
