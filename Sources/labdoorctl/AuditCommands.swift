import ArgumentParser
import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorStore

extension LabDoorCtl {
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify, export and purge the tamper-evident event log.",
            subcommands: [Verify.self, Export.self, Pubkey.self, CheckpointCommand.self, Purge.self])
    }
}

extension LabDoorCtl.Audit {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain, checkpoint signatures and purge anchor of a database (offline).",
            discussion: """
                Exit status: 0 intact; 1 tampering or damage found (the first bad seq is printed); 2 the check \
                could not run. For an independent check pass the site's public key (saved earlier with \
                `audit pubkey`); to detect a truncated tail pass a checkpoint you kept (`audit checkpoint`).
                """)

        @Option(help: "The site's public key file (labdoor-pubkey-v1 …).")
        var pubkey: String?

        @Option(help: "A checkpoint file you kept off the device (labdoor-checkpoint-v1 …).")
        var checkpoint: String?

        @OptionGroup var global: GlobalOptions

        func run() throws {
            do {
                print(try verify())
            } catch let failure as ExitWith {
                printError(failure.message)
                throw ExitCode(failure.code)
            }
        }

        /// Reads a file the auditor kept and parses it, or fails with exit status 2 naming what was expected.
        static func readKept<T>(_ path: String, as parse: (String) -> T?, expected: String) throws -> T {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ExitWith(message: "\(path): cannot be read", code: 2)
            }
            guard let value = parse(text) else { throw ExitWith(message: "\(path): not \(expected)", code: 2) }
            return value
        }

        func verify() throws -> LogVerifier.Report {
            let key = try pubkey.map {
                try Self.readKept(
                    $0, as: LogPublicKey.init(text:),
                    expected: "a LabDoor public key (a line \"labdoor-pubkey-v1 ed25519 …\")")
            }
            let kept = try checkpoint.map {
                try Self.readKept(
                    $0, as: Checkpoint.init(text:),
                    expected: "a LabDoor checkpoint (a line \"labdoor-checkpoint-v1 seq=…\")")
            }
            let store: LabDoorStore
            do {
                store = try LabDoorStore(readOnlyPath: global.databasePath)
            } catch .damaged(let path, let report) {
                throw ExitWith(message: "FAILED: \(path) is damaged: \(report)", code: 1)
            } catch {
                throw ExitWith(message: error.description, code: 2)
            }
            do {
                return try LogVerifier(store: store).verify(publicKey: key, kept: kept)
            } catch let failure as LogVerifier.Failure {
                // The first bad seq is the headline; every other one follows, so that damage early in the log
                // cannot hide tampering later.
                let others = failure.problems.dropFirst().map { "also: \($0)" }
                throw ExitWith(
                    message: (["FAILED: \(failure.first)"] + others).joined(separator: "\n")
                        + (others.isEmpty ? "" : "\n\(failure.problems.count) problems in all"),
                    code: 1)
            } catch {
                throw ExitWith(message: "\(error)", code: 2)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the whole log with hashes (json: also the public key, anchor and checkpoints).")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let store = try openReadOnly(global.databasePath)
            let zone = try loadConfiguration(global.config).zone
            let events = try storeCall { () throws(StoreError) in try store.events() }
            switch global.format {
            case .json:
                let key = try storeCall { () throws(StoreError) in try store.publicKey() }
                let anchor = try storeCall { () throws(StoreError) in try store.anchor() }
                let checkpoints = try storeCall { () throws(StoreError) in try store.checkpoints() }
                print("{\"public_key\":\(JSONValue.string(key.description)),")
                print(
                    "\"anchor\":\(anchor.map { JSONValue.object([("seq", .int($0.seq)), ("hash", .string($0.hash)), ("time", .string($0.time)), ("key", .string($0.keyID)), ("signature", .string($0.signature.base64EncodedString()))]) } ?? .null),"
                )
                print(
                    "\"checkpoints\":["
                        + checkpoints.map { JSONValue.string($0.description).description }.joined(separator: ",\n")
                        + "],")
                print("\"events\":" + EventOutput.render(events, format: .json, zone: zone) + "}")
            case .csv, .table:
                print(EventOutput.render(events, format: .csv, zone: zone))
            }
        }
    }

    struct Pubkey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public key that verifies this site's checkpoints; keep it off the device.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let store = try openReadOnly(global.databasePath)
            print(try storeCall { () throws(StoreError) in try store.publicKey() })
        }
    }

    struct CheckpointCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print the latest signed checkpoint; keep it off the device to detect a truncated log later.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let store = try openReadOnly(global.databasePath)
            guard let checkpoint = try storeCall({ () throws(StoreError) in try store.latestCheckpoint() }) else {
                throw Failure(message: "\(global.databasePath) has no checkpoint yet (the log is empty)")
            }
            print(checkpoint)
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove events older than a date, leaving a signed anchor; the purge itself is logged.",
            discussion: """
                Done by labdoord (as a member of labdoor-admin): the purge is logged with your user name, and the \
                remaining log still verifies. Deleted data is overwritten (SQLite secure_delete).
                """)

        @Option(help: "Remove events before this date (YYYY-MM-DD, site time zone) or time.")
        var before: String

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try send(AuditPurgeCommand(before: before), global) {
                "purged \($0.removed) events before \($0.before); the log still verifies from its anchor"
            }
        }
    }
}

/// A failure with its own exit status (`audit verify`: 1 tampering found, 2 could not check).
struct ExitWith: Error, CustomStringConvertible {
    let message: String
    let code: Int32
    var description: String { message }
}
