/// Reads one TOML table of the configuration, remembering which keys were used so that any key LabDoor does
/// not know is rejected (a typo must never be silently ignored). Errors name the file, line and dotted key.
struct TableReader {
    let file: String
    /// The table's dotted path ("" for the root).
    let path: String
    let table: TOMLTable
    /// Where the table was written (its header), for errors about the table as a whole.
    let position: TOMLPosition?
    private var used: Set<String> = []

    init(file: String, path: String, table: TOMLTable, position: TOMLPosition?) {
        self.file = file
        self.path = path
        self.table = table
        self.position = position
    }

    /// The keys in the order written.
    var keys: [String] { table.keys }

    /// An error about `key` (its value's line) or about the table itself when `key` is nil.
    func error(_ key: String?, _ message: String) -> ConfigurationError {
        let dotted = [path, key ?? ""].filter { !$0.isEmpty }.joined(separator: ".")
        let location = key.flatMap { table[$0]?.position } ?? position
        return ConfigurationError(
            file: file, line: location?.line, column: nil, key: dotted.isEmpty ? nil : dotted, message: message)
    }

    private mutating func value(_ key: String) -> TOMLValue? {
        used.insert(key)
        return table[key]
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let s) = value.kind else { throw error(key, "expected a string, found \(value.typeName)") }
        return s
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let b) = value.kind else {
            throw error(key, "expected true or false, found \(value.typeName)")
        }
        return b
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let n) = value.kind else {
            throw error(key, "expected an integer, found \(value.typeName)")
        }
        guard range.contains(n) else {
            throw error(key, "\(n) is out of range; allowed: \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    /// A string that must be one of `allowed`.
    mutating func choice(_ key: String, _ allowed: [String]) throws(ConfigurationError) -> String? {
        guard let s = try string(key) else { return nil }
        guard allowed.contains(s) else {
            throw error(
                key, "\"\(s)\" is not allowed; use one of: \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return s
    }

    mutating func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value.kind else {
            throw error(key, "expected an array of strings, found \(value.typeName)")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let s) = item.kind else {
                throw error(key, "item \(index + 1) must be a string, found \(item.typeName)")
            }
            result.append(s)
        }
        return result
    }

    /// A sub-table, or nil when absent.
    mutating func table(_ key: String) throws(ConfigurationError) -> TableReader? {
        guard let value = value(key) else { return nil }
        guard case .table(let sub) = value.kind else {
            throw error(key, "expected a table ([\(path.isEmpty ? key : "\(path).\(key)")]), found \(value.typeName)")
        }
        return TableReader(
            file: file, path: path.isEmpty ? key : "\(path).\(key)", table: sub, position: value.position)
    }

    /// An array of tables (`[[key]]`), or nil when absent.
    mutating func tables(_ key: String) throws(ConfigurationError) -> [TableReader]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value.kind else {
            throw error(key, "expected [[\(key)]] tables, found \(value.typeName)")
        }
        var result: [TableReader] = []
        for (index, item) in items.enumerated() {
            guard case .table(let sub) = item.kind else {
                throw error(key, "item \(index + 1) must be a table, found \(item.typeName)")
            }
            let name = path.isEmpty ? key : "\(path).\(key)"
            result.append(TableReader(file: file, path: "\(name)[\(index + 1)]", table: sub, position: item.position))
        }
        return result
    }

    /// Throws for every key that was never read (in file order), naming what is allowed.
    func rejectUnknownKeys(allowed: [String]) throws(ConfigurationError) {
        var problems = ProblemCollector()
        for unknown in table.keys where !used.contains(unknown) {
            let place = path.isEmpty ? "at the top level" : "in [\(path)]"
            problems.check { () throws(ConfigurationError) in
                throw error(unknown, "unknown key \(place); allowed: \(allowed.joined(separator: ", "))")
            }
        }
        try problems.finish()
    }
}
