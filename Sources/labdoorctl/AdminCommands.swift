import ArgumentParser
import Foundation
import LabDoorCore
import LabDoorProtocol

/// Sends `command` to the daemon and prints its result: JSON (the protocol's result, as documented) with
/// `--format json`, otherwise `table(result)` (CSV prints the table form too for a single object).
@discardableResult
func send<C: ControlCommand>(
    _ command: C, _ global: GlobalOptions, table: (C.Result) -> String
) throws -> C.Result {
    let result = try ControlClient(socketPath: global.socket).call(command)
    if global.format == .json {
        print(try json(result))
    } else {
        print(table(result))
    }
    return result
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
                    lines.append(
                        "Reader:  \(TextEscaping.escaped(reader.name)) (\(reader.backend)): \(reader.state)"
                            + (reader.lockedOutUntil.map { ", locked out until \($0) (too many denied reads)" } ?? ""))
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
}

// MARK: Holders

extension LabDoorCtl {
    struct Holder: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage badge holders.",
            subcommands: [
                Add.self, List.self, Show.self, Edit.self, Suspend.self, Resume.self, Remove.self, Export.self,
            ])

        static let columns = Columns<HolderInfo>(
            names: ["ID", "NAME", "PROFILE", "ORGANISATION", "EMAIL", "STATE"],
            cells: { h in
                [
                    String(h.id), h.name, h.profile, cell(h.organisation), cell(h.email),
                    h.removedAt != nil ? "removed" : h.suspended ? "suspended" : "active",
                ]
            })

        static func describe(_ h: HolderInfo) -> String {
            var text = "holder \(h.id): \(TextEscaping.escaped(h.name)) (\(TextEscaping.escaped(h.profile)))"
            if let org = h.organisation { text += ", \(TextEscaping.escaped(org))" }
            if let email = h.email { text += ", \(TextEscaping.escaped(email))" }
            if h.suspended { text += " — SUSPENDED" }
            if let removed = h.removedAt { text += " — removed \(removed)" }
            return text
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a holder; prints it (with its id).")
            @Option(help: "The holder's name.") var name: String
            @Option(help: "The access profile (visitor, member, staff, or a configured one).") var profile: String
            @Option(help: "Organisation.") var org: String?
            @Option(help: "E-mail (each holder's own: imports match holders by it).") var email: String?
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(HolderAddCommand(name: name, profile: profile, organisation: org, email: email), global) {
                    "added \(Holder.describe($0))"
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List holders (not removed ones unless --removed), by id.")
            @Option(help: "Only holders with this profile.") var profile: String?
            @Flag(help: "Only suspended holders.") var suspended = false
            @Option(help: "Only holders whose name, e-mail or organisation contains this text.") var search: String?
            @Flag(help: "Include removed holders.") var removed = false
            @OptionGroup var page: PageOptions
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try list(
                    HolderListCommand(
                        profile: profile, suspended: suspended ? true : nil, search: search,
                        removed: removed ? true : nil), page, global, columns: Holder.columns)
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show a holder with their badges (by last 4), registrations and last entry.")
            @Argument(help: "The holder id.") var id: Int64
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let client = try ControlClient(socketPath: global.socket)
                let shown = try client.call(HolderShowCommand(id: id))
                var badges: [BadgeInfo] = []
                try eachPage(BadgeListCommand(holder: id), PageRange.all, client: client) { badges += $0 }
                var registrations: [RegistrationInfo] = []
                try eachPage(RegistrationListCommand(holder: id), PageRange.all, client: client) {
                    registrations += $0
                }
                if global.format == .json {
                    print(
                        JSONValue.object([
                            ("holder", try json(shown.holder)), ("last_entry", .optional(shown.lastEntry)),
                            ("badges", try json(badges)), ("registrations", try json(registrations)),
                        ]))
                    return
                }
                print(Holder.describe(shown.holder))
                print("Last entry: \(shown.lastEntry ?? "never")")
                print("Badges:\(badges.isEmpty ? " none" : "")")
                for badge in badges { print("  \(Badge.describe(badge))") }
                print("Registrations:\(registrations.isEmpty ? " none" : "")")
                for registration in registrations { print("  \(Registration.describe(registration))") }
            }
        }

        struct Edit: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Change a holder's name, profile, organisation or e-mail (an empty value clears org/e-mail).")
            @Argument(help: "The holder id.") var id: Int64
            @Option(help: "The new name.") var name: String?
            @Option(help: "The new profile.") var profile: String?
            @Option(help: "The new organisation (\"\" clears it).") var org: String?
            @Option(help: "The new e-mail (\"\" clears it).") var email: String?
            @OptionGroup var global: GlobalOptions

            func validate() throws {
                guard name != nil || profile != nil || org != nil || email != nil else {
                    throw ValidationError("nothing to change: pass --name, --profile, --org or --email")
                }
            }

            func run() throws {
                try send(
                    HolderEditCommand(id: id, name: name, profile: profile, organisation: org, email: email), global
                ) { "changed \(Holder.describe($0))" }
            }
        }

        struct Suspend: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Suspend a holder: their badges stop opening (reads are logged) until resumed.")
            @Argument(help: "The holder id.") var id: Int64
            @OptionGroup var global: GlobalOptions
            func run() throws { try send(HolderSuspendCommand(id: id), global) { "suspended \(Holder.describe($0))" } }
        }

        struct Resume: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "End a holder's suspension.")
            @Argument(help: "The holder id.") var id: Int64
            @OptionGroup var global: GlobalOptions
            func run() throws { try send(HolderResumeCommand(id: id), global) { "resumed \(Holder.describe($0))" } }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove a holder (badges revoked, kept for the log), or --erase their personal data.",
                discussion: """
                    Without --erase the holder is marked removed: their badges are revoked, they leave listings, and \
                    their events still show their name. With --erase (GDPR) the holder row, badges and registrations \
                    are deleted and overwritten; their events stay, by id only, shown as "erased #ID", and the log \
                    still verifies. Erasing cannot be undone: on a terminal you are asked to confirm, otherwise pass \
                    --yes.
                    """)
            @Argument(help: "The holder id.") var id: Int64
            @Flag(help: "Erase the holder's personal data (cannot be undone).") var erase = false
            @Flag(help: "Do not ask for confirmation.") var yes = false
            @OptionGroup var global: GlobalOptions

            func run() throws {
                if erase && !yes {
                    guard isatty(STDIN_FILENO) == 1 else {
                        throw Failure("erasing cannot be undone: pass --yes to confirm", exit: .usage)
                    }
                    FileHandle.standardError.write(Data("Erase holder \(id) for good? Type the id to confirm: ".utf8))
                    guard readLine()?.trimmingCharacters(in: .whitespaces) == String(id) else {
                        throw Failure("not confirmed; nothing changed", exit: .refused)
                    }
                }
                try send(HolderRemoveCommand(id: id, erase: erase ? true : nil), global) { r in
                    r.erased
                        ? "erased holder \(r.id): \(r.badges) badges and \(r.registrations) registrations deleted; their events remain as \"erased #\(r.id)\""
                        : "removed holder \(r.id): \(r.badges) badges revoked; their events keep their name"
                }
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print everything stored about one holder as JSON (a data-subject request).",
                discussion: """
                    {"holder":{…},"last_entry":…,"badges":[…],"registrations":[…],"events":[…]}: the holder, their \
                    badges by last 4, registrations and every event of theirs in the log, streamed.
                    """)
            @Argument(help: "The holder id.") var id: Int64
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let client = try ControlClient(socketPath: global.socket)
                let shown = try client.call(HolderShowCommand(id: id))
                print("{\"holder\":\(try json(shown.holder)),\"last_entry\":\(JSONValue.optional(shown.lastEntry)),")
                try streamArray("badges", BadgeListCommand(holder: id), client: client)
                print(",")
                try streamArray("registrations", RegistrationListCommand(holder: id), client: client)
                print(",")
                try streamArray("events", EventsListCommand(holder: id), client: client)
                print("}")
            }

            private func streamArray<C: PagedCommand, Item: Encodable>(
                _ key: String, _ command: C, client: ControlClient
            ) throws where C.Result == Page<Item> {
                print("\"\(key)\":[", terminator: "")
                var first = true
                try eachPage(command, PageRange.all, client: client) { items in
                    for item in items {
                        print((first ? "\n" : ",\n") + (try json(item)).description, terminator: "")
                        first = false
                    }
                }
                print(first ? "]" : "\n]", terminator: "")
            }
        }
    }
}

// MARK: Badges

extension LabDoorCtl {
    struct Badge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, assign, enrol and revoke badges.", subcommands: [List.self, Assign.self, Revoke.self])

        static func describe(_ b: BadgeInfo) -> String {
            "badge \(b.id) …\(b.last4) of holder \(b.holder), assigned \(b.assignedAt ?? "?")"
                + (b.revoked ? ", REVOKED \(b.revokedAt ?? "")" : "")
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List badges (by last 4; never the number).")
            @Option(help: "Only this holder's badges.") var holder: Int64?
            @OptionGroup var page: PageOptions
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try list(
                    BadgeListCommand(holder: holder), page, global,
                    columns: Columns(
                        names: ["ID", "LAST4", "HOLDER", "ASSIGNED", "REVOKED"],
                        cells: { b in
                            [
                                String(b.id), b.last4, String(b.holder), cell(b.assignedAt),
                                b.revoked ? cell(b.revokedAt) : "",
                            ]
                        }))
            }
        }

        struct Assign: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Assign a badge to a holder: by its number, or the next read on a reader (--from-reader).",
                discussion: """
                    Only the badge's keyed fingerprint and last four characters are stored. With --from-reader the \
                    daemon takes the next card presented at that reader as the holder's badge instead of deciding it \
                    (the door stays locked; the read is logged as badge_enrolled) — for cards whose number is printed \
                    nowhere. A revoked badge is never assigned again (it may be a lost card).
                    """)
            @Argument(help: "The badge number (omit with --from-reader).") var number: String?
            @Option(help: "The holder id.") var holder: Int64
            @Option(name: .customLong("from-reader"), help: "Take the next read on this reader as the badge.")
            var reader: String?
            @Option(help: "How long to wait for the read with --from-reader (e.g. 30s, 2m; at most 5m).")
            var timeout: String?
            @OptionGroup var global: GlobalOptions

            func validate() throws {
                guard (number == nil) != (reader == nil) else {
                    throw ValidationError("give the badge NUMBER or --from-reader READER (one of them)")
                }
                if timeout != nil && reader == nil { throw ValidationError("--timeout goes with --from-reader") }
            }

            func run() throws {
                if let number {
                    try send(BadgeAssignCommand(number: number, holder: holder), global) {
                        "assigned \(Badge.describe($0))"
                    }
                    return
                }
                guard let reader else { return }
                var seconds: Int64?
                if let timeout {
                    guard let parsed = parseDuration(timeout) else {
                        throw Failure("--timeout \(timeout): write e.g. 30s or 2m", exit: .usage)
                    }
                    seconds = parsed
                }
                if global.format != .json {
                    printError(
                        "Present the card at \(reader) within \(seconds ?? BadgeEnrolCommand.defaultTimeout) s (the door stays locked)…"
                    )
                }
                try send(BadgeEnrolCommand(reader: reader, holder: holder, timeout: seconds), global) {
                    "enrolled \(Badge.describe($0))"
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a badge, by number or --id: it never opens again (its reads are logged).")
            @Argument(help: "The badge number.") var number: String?
            @Option(help: "The badge id (from badge list), for a card whose number you do not have.") var id: Int64?
            @OptionGroup var global: GlobalOptions

            func validate() throws {
                guard (number == nil) != (id == nil) else { throw ValidationError("give the badge NUMBER or --id ID") }
            }

            func run() throws {
                try send(BadgeRevokeCommand(number: number, id: id), global) { "revoked \(Badge.describe($0))" }
            }
        }
    }
}

// MARK: Registrations

extension LabDoorCtl {
    struct Registration: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage registrations: when holders may enter.",
            subcommands: [Add.self, List.self, Remove.self, Import.self])

        static func describe(_ r: RegistrationInfo) -> String {
            "registration \(r.id): holder \(r.holder) from \(r.from) until \(r.until)"
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Register a holder for [from, until); times in the site zone unless they carry an offset.",
                discussion:
                    "An --until that is a date alone means the end of that day: --from 2027-01-04 --until 2027-01-08 covers Friday."
            )
            @Option(help: "The holder id.") var holder: Int64
            @Option(help: "Start (YYYY-MM-DD or YYYY-MM-DDTHH:MM).") var from: String
            @Option(help: "End, exclusive (a date alone: the end of that day).") var until: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(RegistrationAddCommand(holder: holder, from: from, until: until), global) {
                    "added \(Registration.describe($0))"
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List registrations, by id.")
            @Option(help: "Only this holder's.") var holder: Int64?
            @Option(name: .customLong("active-at"), help: "Only those covering this time (e.g. 2027-01-05T10:00).")
            var activeAt: String?
            @OptionGroup var page: PageOptions
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try list(
                    RegistrationListCommand(holder: holder, activeAt: activeAt), page, global,
                    columns: Columns(
                        names: ["ID", "HOLDER", "FROM", "UNTIL"],
                        cells: { r in [String(r.id), String(r.holder), r.from, r.until] }))
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a registration.")
            @Argument(help: "The registration id.") var id: Int64
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try send(RegistrationRemoveCommand(id: id), global) { "removed \(Registration.describe($0))" }
            }
        }

        struct Import: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Import the booking system's registrations (CSV), all or nothing.",
                discussion: """
                    Columns (header, any order): email, name, organisation (optional), from, until. UTF-8 (a BOM is \
                    fine), LF or CRLF, RFC 4180 quoting. Times in the site zone unless they carry an offset; a date \
                    alone is the whole day. Holders are matched by e-mail; an unknown one becomes a visitor holder. \
                    Any bad line rejects the file, and every bad line is listed. Identical registrations are skipped, \
                    overlapping ones kept and reported.
                    """)
            @Argument(help: "The CSV file.") var file: String
            @Flag(help: "Only show what would be created and skipped; change nothing.") var dryRun = false
            @Option(name: .customLong("ignore-column"), help: "Accept and ignore this extra column (repeatable).")
            var ignoreColumns: [String] = []
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let text = try Self.read(file)
                let command = RegistrationImportCommand(
                    csv: text, dryRun: dryRun ? true : nil, ignoreColumns: ignoreColumns.isEmpty ? nil : ignoreColumns)
                let result = try Ticker.during(dryRun ? "checking \(file)" : "importing \(file)", quiet: global.quiet) {
                    try ControlClient(socketPath: global.socket).call(command)
                }
                print(global.format == .json ? try json(result).description : Self.describe(result, file: file))
            }

            /// The file's text: at most the daemon's request size, UTF-8.
            static func read(_ path: String) throws -> String {
                let data: Data
                do {
                    data = try Data(contentsOf: URL(fileURLWithPath: path))
                } catch {
                    throw Failure("\(path): cannot be read (\(error.localizedDescription))", exit: .usage)
                }
                let limit = ControlProtocol.maximumAdminRequest - 4096
                guard data.count <= limit else {
                    throw Failure(
                        "\(path) is larger than \(limit / 1_048_576) MiB; split it into smaller files", exit: .usage)
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    throw Failure("\(path) is not UTF-8 text; save it as \"CSV UTF-8\"", exit: .usage)
                }
                return text
            }

            static func describe(_ r: ImportResult, file: String) -> String {
                var lines = [
                    (r.dryRun ? "dry run of \(file) (nothing changed): " : "imported \(file): ")
                        + "\(r.rows) rows, \(r.added) registrations \(r.dryRun ? "to add" : "added"), \(r.newHolders.count) new holders, \(r.duplicateLines.count) duplicates skipped, \(r.overlaps.count) overlaps"
                ]
                for holder in r.newHolders {
                    lines.append(
                        "  new holder\(holder.id.map { " \($0)" } ?? ""): \(TextEscaping.escaped(holder.name)) <\(TextEscaping.escaped(holder.email))> (line \(holder.line))"
                    )
                }
                if !r.duplicateLines.isEmpty {
                    lines.append(
                        "  duplicates skipped: lines \(r.duplicateLines.map(String.init).joined(separator: ", "))")
                }
                for overlap in r.overlaps {
                    let other =
                        overlap.registration.map { "registration \($0)" } ?? overlap.otherLine.map { "line \($0)" }
                        ?? "?"
                    lines.append(
                        "  line \(overlap.line): overlaps \(other) of \(TextEscaping.escaped(overlap.email)) (kept)")
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}
