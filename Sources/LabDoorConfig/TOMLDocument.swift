import TOMLKit

/// A parsed TOML document as plain Swift values, with a way to find the source line of a key.
///
/// TOMLKit parses (and reports syntax errors with line and column); its tree is converted at once into these
/// `Sendable` values so that nothing else in LabDoor depends on TOMLKit's types.
struct TOMLDocument: Sendable {
    indirect enum Node: Sendable, Equatable {
        case table([String: Node])
        case array([Node])
        case string(String)
        case integer(Int)
        case float(Double)
        case bool(Bool)
        /// A date, time or date-time: LabDoor's configuration uses strings for those.
        case other(typeName: String)

        var typeName: String {
            switch self {
            case .table: "table"
            case .array: "array"
            case .string: "string"
            case .integer: "integer"
            case .float: "float"
            case .bool: "boolean"
            case .other(let name): name
            }
        }
    }

    let root: [String: Node]
    let lines: [Substring]

    /// Parses `text`; syntax errors become `ConfigurationError`s with line and column.
    init(text: String, file: String) throws(ConfigurationError) {
        do {
            let table = try TOMLTable(string: text)
            root = Self.convert(table)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                file: file, line: error.source.begin.line, column: error.source.begin.column, key: nil,
                message: "not valid TOML: \(error.description)")
        } catch {
            throw ConfigurationError(file: file, line: nil, column: nil, key: nil, message: "not valid TOML: \(error)")
        }
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    private static func convert(_ table: TOMLTable) -> [String: Node] {
        var result: [String: Node] = [:]
        for key in table.keys {
            if let value = table[key] { result[key] = convert(value) }
        }
        return result
    }

    private static func convert(_ value: any TOMLValueConvertible) -> Node {
        switch value.type {
        case .table: return value.table.map { .table(convert($0)) } ?? .other(typeName: "table")
        case .array: return value.array.map { .array($0.map { convert($0) }) } ?? .other(typeName: "array")
        case .string: return value.string.map(Node.string) ?? .other(typeName: "string")
        case .int: return value.int.map(Node.integer) ?? .other(typeName: "integer")
        case .double: return value.double.map(Node.float) ?? .other(typeName: "float")
        case .bool: return value.bool.map(Node.bool) ?? .other(typeName: "boolean")
        case .date: return .other(typeName: "date")
        case .time: return .other(typeName: "time")
        case .dateTime: return .other(typeName: "date-time")
        }
    }

    /// The 1-based line on which `key` is set inside the table `table` (a dotted path such as
    /// "profiles.visitor"), or the table's header line when `key` is nil. Best effort: nil when not found.
    func line(ofKey key: String?, inTable table: String) -> Int? {
        var current = ""
        var headerLine: Int?
        for (index, raw) in lines.enumerated() {
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("[") {
                let name = line.drop(while: { $0 == "[" }).prefix(while: { $0 != "]" })
                current = name.split(separator: ".").map { $0.trimmingQuotesAndSpaces }.joined(separator: ".")
                if current == table && headerLine == nil { headerLine = index + 1 }
                continue
            }
            guard current == table, let key else { continue }
            let name = line.prefix(while: { $0 != "=" })
            if line.contains("="), name.trimmingQuotesAndSpaces == key { return index + 1 }
        }
        return headerLine
    }
}

extension StringProtocol {
    fileprivate var trimmingQuotesAndSpaces: String {
        let unwanted: Set<Character> = [" ", "\t", "\"", "'"]
        return String(
            drop(while: { unwanted.contains($0) }).reversed().drop(while: { unwanted.contains($0) }).reversed())
    }
}
