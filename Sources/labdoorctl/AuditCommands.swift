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
            subcommands: [
                Verify.self, Snapshot.self, Export.self, Pubkey.self, CheckpointCommand.self, Purge.self,
            ])
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
            // Without --db and without read access to the device's database (an auditor's case), verify a fresh
            // snapshot that the daemon streams.
            var path = global.databasePath
            var temporary: String?
            if global.db == nil, !FileManager.default.isReadableFile(atPath: path) {
                let directory = FileManager.default.temporaryDirectory.path
                let copy = "\(directory)/labdoor-verify-\(getpid()).db"
                do {
                    try Snapshot.fetch(to: copy, global)
                } catch let failure as Failure {
                    throw ExitWith(message: failure.message, code: failure.exit == .forbidden ? 4 : 2)
                }
                path = copy
                temporary = copy
            }
            defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
            let store: LabDoorStore
            do {
                store = try LabDoorStore(readOnlyPath: path)
            } catch .damaged(let path, let report) {
                throw ExitWith(message: "FAILED: \(path) is damaged: \(report)", code: 1)
            } catch {
                throw ExitWith(message: error.description, code: 2)
            }
            let progress = Progress.bar("verifying", total: nil, unit: " events", quiet: global.quiet)
            if let progress, let total = try? store.eventCount() { progress.setTotal(total) }
            defer { progress?.finish() }
            do {
                return try LogVerifier(store: store).verify(
                    publicKey: key, kept: kept, progress: progress.map { bar in { bar.update(Int64($0)) } })
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
            abstract: "Export the whole log with hashes (json: also the public key, anchor and checkpoints).",
            discussion: """
                Through labdoord, or read-only on a database file with --db. Streamed: any size of log is \
                written a page at a time.
                """)

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let zone = try loadConfiguration(global.config).zone
            let source = try EventSource(global, zone: zone)
            try source.requireSoundFile()
            let progress = Progress.bar("exporting", total: nil, unit: " events", quiet: global.quiet)
            if let progress, let total = try? source.eventCount() { progress.setTotal(total) }
            defer { progress?.finish() }
            switch global.format {
            case .json:
                let keys = try source.keys()
                print("{\"public_key\":\(JSONValue.string(keys.publicKey)),")
                print("\"anchor\":\(try keys.anchor.map { try json($0) } ?? .null),")
                print("\"checkpoints\":[", terminator: "")
                var first = true
                try source.eachCheckpointPage { page in
                    for checkpoint in page {
                        print((first ? "\n" : ",\n") + JSONValue.string(checkpoint).description, terminator: "")
                        first = false
                    }
                }
                print(first ? "]," : "\n],")
                print("\"events\":", terminator: "")
                let printer = EventPrinter(format: .json, zone: zone, columns: EventOutput.columns)
                try source.each(EventsListCommand(), tail: nil, named: false, progress: progress) { printer.print($0) }
                printer.finish()
                print("}")
            case .csv, .table:
                let printer = EventPrinter(format: .csv, zone: zone, columns: EventOutput.columns)
                try source.each(EventsListCommand(), tail: nil, named: false, progress: progress) { printer.print($0) }
                printer.finish()
            }
        }
    }

    struct Pubkey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the public key that verifies this site's checkpoints; keep it off the device.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let source = try EventSource(global, zone: try loadConfiguration(global.config).zone)
            print(try source.keys().publicKey)
        }
    }

    struct CheckpointCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print the latest signed checkpoint; keep it off the device to detect a truncated log later.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let source = try EventSource(global, zone: try loadConfiguration(global.config).zone)
            guard let checkpoint = try source.latestCheckpoint() else {
                throw Failure(message: "there is no checkpoint yet (the log is empty)")
            }
            print(checkpoint)
        }
    }

    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save a consistent copy of the database, made and streamed by labdoord, to FILE.",
            discussion: """
                For auditors without access to the state directory: check the copy offline with \
                `labdoorctl audit verify --db FILE --pubkey KEY`. FILE must not exist; it is written whole or \
                not at all (its SHA-256 is checked).
                """)

        @Argument(help: "Where to write the copy (a new file).")
        var file: String

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let (bytes, digest) = try Self.fetch(to: file, global)
            if global.format == .json {
                print(
                    JSONValue.object([
                        ("file", .string(file)), ("bytes", .int(bytes)), ("sha256", .string(digest)),
                    ]))
            } else {
                print("wrote \(file): \(bytes) bytes, sha256 \(digest)")
            }
        }

        /// Streams a snapshot from the daemon into `path` (a temporary name first, renamed when whole and its
        /// digest checked); returns its size and SHA-256.
        @discardableResult
        static func fetch(to path: String, _ global: GlobalOptions) throws -> (Int64, String) {
            guard !FileManager.default.fileExists(atPath: path) else {
                throw Failure("\(path) exists already; give a new file name", exit: .usage)
            }
            let partial = path + ".partial"
            let fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw Failure("cannot create \(partial): \(String(cString: strerror(errno)))", exit: .usage)
            }
            var closed = false
            defer {
                if !closed { close(fd) }
                unlink(partial)
            }
            let client = try ControlClient(socketPath: global.socket)
            let progress = Progress.bar("snapshot", total: nil, unit: "B", quiet: global.quiet)
            var hasher = SnapshotDigest()
            var written: Int64 = 0
            var end: (Int64, String)?
            var failure: Failure?
            try client.stream(AuditSnapshotCommand()) { item in
                guard failure == nil, end == nil else { return }
                switch item {
                case .start(let bytes):
                    progress?.setTotal(bytes)
                case .chunk(let text):
                    guard let data = Data(base64Encoded: text) else {
                        failure = Failure("labdoord sent a chunk that is not base64")
                        return
                    }
                    let ok = data.withUnsafeBytes { buffer in
                        guard let base = buffer.baseAddress else { return true }
                        var offset = 0
                        while offset < buffer.count {
                            let n = write(fd, base + offset, buffer.count - offset)
                            if n < 0, errno == EINTR { continue }
                            if n <= 0 { return false }
                            offset += n
                        }
                        return true
                    }
                    guard ok else {
                        failure = Failure("cannot write \(partial): \(String(cString: strerror(errno)))", exit: .usage)
                        return
                    }
                    hasher.update(data)
                    written += Int64(data.count)
                    progress?.update(written)
                case .end(let bytes, let sha256):
                    end = (bytes, sha256)
                }
            } until: {
                end != nil || failure != nil
            }
            progress?.finish()
            if let failure { throw failure }
            guard let (bytes, sha256) = end else { throw Failure("labdoord ended the snapshot before its end") }
            let digest = hasher.hex
            guard bytes == written, digest == sha256 else {
                throw Failure(
                    "the snapshot arrived damaged (\(written) of \(bytes) bytes, sha256 \(digest), expected \(sha256)); nothing was written"
                )
            }
            guard fsync(fd) == 0 else {
                throw Failure("cannot write \(partial) to disk: \(String(cString: strerror(errno)))", exit: .usage)
            }
            close(fd)
            closed = true
            guard rename(partial, path) == 0 else {
                throw Failure("cannot rename \(partial) to \(path): \(String(cString: strerror(errno)))", exit: .usage)
            }
            return (bytes, digest)
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

        @Flag(help: "Only count what would be removed; change nothing.")
        var dryRun = false

        @Flag(help: "Purge even events younger than the retention period ([log] retention_days).")
        var force = false

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let command = AuditPurgeCommand(before: before, dryRun: dryRun ? true : nil, force: force ? true : nil)
            let result = try Ticker.during(dryRun ? "counting" : "purging", quiet: global.quiet) {
                try ControlClient(socketPath: global.socket).call(command)
            }
            print(
                global.format == .json
                    ? try json(result).description
                    : result.dryRun
                        ? "dry run: \(result.removed) events before \(result.before) would be purged (nothing changed)"
                        : "purged \(result.removed) events before \(result.before); the log still verifies from its anchor"
            )
        }
    }
}

/// A failure with its own exit status (`audit verify`: 1 tampering found, 2 could not check).
struct ExitWith: Error, CustomStringConvertible {
    let message: String
    let code: Int32
    var description: String { message }
}
