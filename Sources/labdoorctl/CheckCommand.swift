import ArgumentParser
import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorStore

extension LabDoorCtl {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Would this badge open the door (now, or --at a time), and why? Opens nothing, logs nothing.",
            discussion: """
                Exit status 0 if it would be granted, 1 if denied. Asks labdoord (the policy, hours and door mode in \
                force); with --db it decides offline from --config and that database, which needs the site's badge \
                secret (keys/badge-secret beside the database). A time that does not exist or happens twice at a \
                daylight-saving change is refused with the offsets to choose from. A reader's lockout is not applied.
                """)
        @Argument(help: "The badge number.") var badge: String
        @Option(help: "When (YYYY-MM-DDTHH:MM in the site zone, or with an offset; default: now).") var at: String?
        @Option(help: "A configured reader.") var reader: String?
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let result: CheckResult
            if global.db != nil {
                result = try offline()
            } else {
                result = try ControlClient(socketPath: global.socket).call(
                    CheckCommand(badge: badge, at: at, reader: reader))
            }
            if global.format == .json {
                print(try json(result))
            } else {
                let who =
                    result.holder.map { "holder \($0.id) \(TextEscaping.escaped($0.name)) (\($0.profile))" }
                    ?? "unknown badge"
                print("badge …\(result.badgeLast4) at \(result.at): \(result.decision.uppercased()) (\(result.reason))")
                print("  \(who)")
                print("  \(TextEscaping.escaped(result.explanation))")
            }
            if result.decision != "granted" { throw ExitCode(ExitStatus.refused.rawValue) }
        }

        private func offline() throws -> CheckResult {
            let config = try loadConfiguration(global.config)
            let number: BadgeID
            do {
                number = try BadgeID(parsing: badge)
            } catch {
                throw Failure(error.description, exit: .usage)
            }
            if let reader, !config.readers.contains(where: { $0.name == reader }) {
                throw Failure(
                    "no reader \(reader) is configured; configured: \(config.readers.map(\.name).joined(separator: ", "))",
                    exit: .usage)
            }
            let moment = try at.map { try parseTime($0, option: "--at", zone: config.zone) } ?? Date()
            let keys = ((global.databasePath as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("keys")
            let fingerprinter: BadgeFingerprinter
            do {
                fingerprinter = try BadgeFingerprinter(keysDirectory: keys)
            } catch {
                throw Failure(
                    "check --db needs the site's badge secret: \(error.description); run check without --db to ask labdoord",
                    exit: .usage)
            }
            let store = try openReadOnly(global.databasePath)
            let (credential, overrides, weekdays, mode) = try storeCall {
                () throws(StoreError) -> (Credential?, [CalendarOverride], [StoredWeekdayHours], DoorMode) in
                (
                    try store.credential(for: fingerprinter.fingerprint(of: number)), try store.overrides(),
                    try store.weekdayHours(), try store.doorMode()
                )
            }
            let decision = config.policy(overrides: overrides, weekdays: weekdays).decide(
                credential, at: moment, mode: mode, clockTrusted: true)
            return CheckResult(
                badge: number, credential: credential, decision: decision, at: moment, zone: config.zone, reader: reader
            )
        }
    }
}
