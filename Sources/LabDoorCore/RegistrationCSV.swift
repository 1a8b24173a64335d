public import Foundation

/// One registration row of an import file, checked: who, and `[from, until)`.
public struct ImportRow: Hashable, Sendable {
    /// The line the row starts on.
    public var line: Int
    /// The e-mail that identifies the holder (trimmed, as written).
    public var email: String
    /// The name, for a holder the import creates.
    public var name: String
    /// The organisation, for a holder the import creates.
    public var organisation: String?
    /// The first instant covered.
    public var from: Date
    /// The first instant no longer covered.
    public var until: Date

    /// Creates a row.
    public init(line: Int, email: String, name: String, organisation: String?, from: Date, until: Date) {
        self.line = line
        self.email = email
        self.name = name
        self.organisation = organisation
        self.from = from
        self.until = until
    }

    /// The key holders are matched by: the e-mail, lower-cased.
    public var emailKey: String { email.lowercased() }
}

/// The registration import file (DESIGN.md, "Registration import (CSV)"): a header naming the columns in any
/// order — `email`, `name`, `from`, `until`, optionally `organisation` — then one registration per record.
/// Every bad record is reported with its line and what to fix; one bad record rejects the whole file.
public enum RegistrationCSV {
    /// The columns a file must have.
    public static let requiredColumns = ["email", "name", "from", "until"]
    /// The columns a file may have.
    public static let optionalColumns = ["organisation"]
    /// The most rows one file may hold.
    public static let maximumRows = 1_000_000
    /// The most problems listed; the count says how many more there are.
    public static let listedProblems = 100

    /// What is wrong with one line.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// The 1-based line.
        public let line: Int
        /// What is wrong and what to write instead.
        public let message: String
        /// `line N: message`.
        public var description: String { "line \(line): \(message)" }
    }

    /// A file that cannot be imported: every problem found, in line order.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The problems.
        public let problems: [Problem]
        /// The first `listedProblems` problems, one per line, and how many more there are.
        public var description: String {
            let listed = problems.prefix(RegistrationCSV.listedProblems).map(\.description)
            let more = problems.count - listed.count
            let tail = more > 0 ? ["… and \(more) more problems"] : []
            let head =
                "the file was not imported (nothing changed): \(problems.count) problem\(problems.count == 1 ? "" : "s")"
            return ([head] + listed + tail).joined(separator: "\n")
        }
    }

    /// Reads and checks `text`: the rows, or every problem. Columns in `ignoring` are allowed and not read.
    public static func rows(
        _ text: String, zone: SiteZone, ignoring: Set<String> = []
    ) throws(Failure) -> [ImportRow] {
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(text)
        } catch {
            throw Failure(problems: [Problem(line: error.line, message: error.message)])
        }
        guard let header = records.first else {
            throw Failure(problems: [
                Problem(
                    line: 1,
                    message:
                        "the file is empty; its first line must name the columns: email,name,organisation,from,until"
                )
            ])
        }
        let columns = try self.columns(header, ignoring: ignoring)
        let body = records.dropFirst()
        guard body.count <= maximumRows else {
            throw Failure(problems: [
                Problem(
                    line: body[body.startIndex + maximumRows].line,
                    message: "the file has more than \(maximumRows) rows; split it into smaller files")
            ])
        }
        var rows: [ImportRow] = []
        rows.reserveCapacity(body.count)
        var problems: [Problem] = []
        for record in body {
            switch row(record, columns: columns, width: header.fields.count, zone: zone) {
            case .success(let row): rows.append(row)
            case .failure(let problem): problems.append(problem)
            }
        }
        guard problems.isEmpty else { throw Failure(problems: problems) }
        return rows
    }

    /// The position of each known column in the header.
    private static func columns(
        _ header: CSVReader.Record, ignoring: Set<String>
    ) throws(Failure) -> [String: Int] {
        var columns: [String: Int] = [:]
        var problems: [Problem] = []
        let known = Set(requiredColumns + optionalColumns)
        let ignored = Set(ignoring.map { $0.lowercased() })
        for (index, raw) in header.fields.enumerated() {
            let name = raw.trimmingSpaces.lowercased()
            if ignored.contains(name) { continue }
            guard known.contains(name) else {
                problems.append(
                    Problem(
                        line: header.line,
                        message:
                            "unknown column \"\(TextEscaping.escaped(raw))\"; the columns are email, name, organisation, from, until (remove it, or pass --ignore-column \(TextEscaping.escaped(name)))"
                    ))
                continue
            }
            guard columns[name] == nil else {
                problems.append(Problem(line: header.line, message: "the column \(name) appears twice; keep one"))
                continue
            }
            columns[name] = index
        }
        let missing = requiredColumns.filter { columns[$0] == nil }
        if !missing.isEmpty {
            problems.append(
                Problem(
                    line: header.line,
                    message:
                        "the header lacks \(missing.joined(separator: ", ")); the first line must name the columns, e.g. email,name,organisation,from,until"
                ))
        }
        guard problems.isEmpty else { throw Failure(problems: problems) }
        return columns
    }

    private static func row(
        _ record: CSVReader.Record, columns: [String: Int], width: Int, zone: SiteZone
    ) -> Result<ImportRow, Problem> {
        let line = record.line
        guard record.fields.count == width else {
            return .failure(
                Problem(
                    line: line,
                    message:
                        "\(record.fields.count) field\(record.fields.count == 1 ? "" : "s") where the header has \(width); quote a field that contains a comma (\"Virtanen, Aino\")"
                ))
        }
        func field(_ name: String) -> String? {
            columns[name].map { record.fields[$0].trimmingSpaces }
        }
        var errors: [String] = []
        let email = field("email") ?? ""
        if let problem = emailProblem(email) { errors.append(problem) }
        let name = field("name") ?? ""
        if name.isEmpty { errors.append("the name is empty") }
        let organisation = field("organisation").flatMap { $0.isEmpty ? nil : $0 }
        for (column, value) in [("email", email), ("name", name), ("organisation", organisation ?? "")]
        where TextEscaping.hasControlCharacters(value) {
            errors.append("the \(column) contains a control character (\(TextEscaping.escaped(value)))")
        }
        var from: Date?
        var until: Date?
        do {
            from = try InstantParser.parse(field("from") ?? "", zone: zone)
        } catch {
            errors.append("from: \(error.description)")
        }
        do {
            until = try InstantParser.parseEnd(field("until") ?? "", zone: zone)
        } catch {
            errors.append("until: \(error.description)")
        }
        if let from, let until, from >= until {
            errors.append("until (\(field("until") ?? "")) must be after from (\(field("from") ?? ""))")
        }
        guard errors.isEmpty, let from, let until else {
            return .failure(Problem(line: line, message: errors.joined(separator: "; ")))
        }
        return .success(
            ImportRow(line: line, email: email, name: name, organisation: organisation, from: from, until: until))
    }

    /// Why `email` is not an e-mail address, or nil.
    public static func emailProblem(_ email: String) -> String? {
        if email.isEmpty { return "the email is empty" }
        let bytes = email.utf8
        let at = UInt8(ascii: "@")
        let dot = UInt8(ascii: ".")
        guard let first = bytes.firstIndex(of: at), bytes.lastIndex(of: at) == first, first != bytes.startIndex,
            case let domain = bytes[bytes.index(after: first)...], domain.contains(dot), domain.first != dot,
            domain.last != dot, !bytes.contains(where: { $0 <= 0x20 }), !email.contains(where: \.isWhitespace)
        else { return "\"\(TextEscaping.escaped(email))\" is not an e-mail address (name@example.fi)" }
        return nil
    }
}

/// What an import did (or, in a dry run, would do).
public struct ImportReport: Hashable, Sendable {
    /// A holder the import creates, for an e-mail no holder has.
    public struct NewHolder: Hashable, Sendable {
        /// The first line with that e-mail.
        public var line: Int
        /// The e-mail.
        public var email: String
        /// The name.
        public var name: String
        /// The id, once created (nil in a dry run).
        public var id: HolderID?

        /// Creates the value.
        public init(line: Int, email: String, name: String, id: HolderID? = nil) {
            self.line = line
            self.email = email
            self.name = name
            self.id = id
        }
    }

    /// A new registration that overlaps another of the same holder (kept, and reported).
    public struct Overlap: Hashable, Sendable {
        /// The line of the new registration.
        public var line: Int
        /// The holder (nil for a holder the import creates, in a dry run).
        public var holder: HolderID?
        /// The e-mail.
        public var email: String
        /// The existing registration it overlaps, or nil when it overlaps another line of the file.
        public var registration: Int64?
        /// The other line of the file it overlaps, or nil.
        public var otherLine: Int?

        /// Creates the value.
        public init(line: Int, holder: HolderID?, email: String, registration: Int64?, otherLine: Int?) {
            self.line = line
            self.holder = holder
            self.email = email
            self.registration = registration
            self.otherLine = otherLine
        }
    }

    /// The rows in the file.
    public var rows: Int
    /// The holders created (or to be created).
    public var newHolders: [NewHolder]
    /// How many registrations were (or would be) added.
    public var added: Int
    /// The lines skipped because an identical registration exists (in the database or earlier in the file).
    public var duplicateLines: [Int]
    /// The added registrations that overlap another of the same holder.
    public var overlaps: [Overlap]
    /// Whether nothing was changed.
    public var dryRun: Bool

    /// Creates the value.
    public init(
        rows: Int, newHolders: [NewHolder], added: Int, duplicateLines: [Int], overlaps: [Overlap], dryRun: Bool
    ) {
        self.rows = rows
        self.newHolders = newHolders
        self.added = added
        self.duplicateLines = duplicateLines
        self.overlaps = overlaps
        self.dryRun = dryRun
    }
}

/// What an import will do, worked out by a store from a snapshot of its registry — off the decision loop, on a
/// reader connection — so that applying it is only inserts. A plan holds while the registry is as it was at the
/// snapshot (`generation`); a store re-plans, inside its transaction, one made before another change.
public struct ImportPlan: Hashable, Sendable {
    /// The holder a registration goes to.
    public enum Target: Hashable, Sendable {
        /// A holder that exists.
        case existing(HolderID)
        /// The holder this import creates for `report.newHolders[index]`.
        case new(Int)
    }

    /// A registration to add: `rows[row]`, for `target`, with its times as the store writes them (formatted
    /// while planning, so that applying does no more than insert).
    public struct Addition: Hashable, Sendable {
        /// The index of the row in `rows`.
        public var row: Int
        /// Whose.
        public var target: Target
        /// The start, as stored.
        public var from: String
        /// The end, as stored.
        public var until: String

        /// Creates the value.
        public init(row: Int, target: Target, from: String, until: String) {
            self.row = row
            self.target = target
            self.from = from
            self.until = until
        }
    }

    /// The checked rows of the file.
    public var rows: [ImportRow]
    /// What the import does, as a dry run reports it (no ids for the holders it creates).
    public var report: ImportReport
    /// For each of `report.newHolders`, the index in `rows` of its first row (name, organisation, e-mail).
    public var newHolderRows: [Int]
    /// The registrations to add, in file order.
    public var additions: [Addition]
    /// For each overlap of `report.overlaps` whose holder the import creates, its index in `report.newHolders`.
    public var overlapTargets: [Int: Int]
    /// The store's registry generation the plan was made at.
    public var generation: Int64

    /// Creates the value.
    public init(
        rows: [ImportRow], report: ImportReport, newHolderRows: [Int], additions: [Addition],
        overlapTargets: [Int: Int], generation: Int64
    ) {
        self.rows = rows
        self.report = report
        self.newHolderRows = newHolderRows
        self.additions = additions
        self.overlapTargets = overlapTargets
        self.generation = generation
    }
}
