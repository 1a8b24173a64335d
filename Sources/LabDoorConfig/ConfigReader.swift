/// Reads one TOML table of the configuration, remembering which keys were used so that any key LabDoor does
/// not know is rejected (a typo must never be silently ignored).
struct TableReader {
    let document: TOMLDocument
    let file: String
    /// The table's dotted path ("" for the root).
    let path: String
    let entries: [String: TOMLDocument.Node]
    private var used: Set<String> = []

    init(document: TOMLDocument, file: String, path: String, entries: [String: TOMLDocument.Node]) {
        self.document = document
        self.file = file
        self.path = path
        self.entries = entries
    }

    /// An error about `key` of this table (or the table itself when nil), located in the source.
    func error(_ key: String?, _ message: String) -> ConfigurationError {
        let dotted = [path, key].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ".")
        return ConfigurationError(
            file: file, line: document.line(ofKey: key, inTable: path), column: nil,
            key: dotted.isEmpty ? nil : dotted, message: message)
    }

    private mutating func value(_ key: String) -> TOMLDocument.Node? {
        used.insert(key)
        return entries[key]
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let s): return s
        case let other?: throw error(key, "expected a string, found a \(other.typeName)")
        }
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        switch value(key) {
        case nil: return nil
        case .bool(let b): return b
        case let other?: throw error(key, "expected true or false, found a \(other.typeName)")
        }
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        switch value(key) {
        case nil: return nil
        case .integer(let n) where range.contains(n): return n
        case .integer(let n):
            throw error(key, "\(n) is out of range; allowed: \(range.lowerBound)...\(range.upperBound)")
        case let other?: throw error(key, "expected an integer, found a \(other.typeName)")
        }
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
        switch value(key) {
        case nil: return nil
        case .array(let items):
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let s) = item else {
                    throw error(key, "item \(index + 1) must be a string, found a \(item.typeName)")
                }
                result.append(s)
            }
            return result
        case let other?: throw error(key, "expected an array of strings, found a \(other.typeName)")
        }
    }

    /// A sub-table, or nil when absent.
    mutating func table(_ key: String) throws(ConfigurationError) -> TableReader? {
        switch value(key) {
        case nil: return nil
        case .table(let entries):
            return TableReader(
                document: document, file: file, path: path.isEmpty ? key : "\(path).\(key)", entries: entries)
        case let other?: throw error(key, "expected a table ([\(key)]), found a \(other.typeName)")
        }
    }

    /// Throws for the first key (alphabetically) that was never read, naming what is allowed.
    func rejectUnknownKeys(allowed: [String]) throws(ConfigurationError) {
        if let unknown = entries.keys.filter({ !used.contains($0) }).sorted().first {
            let place = path.isEmpty ? "at the top level" : "in [\(path)]"
            throw error(unknown, "unknown key \(place); allowed: \(allowed.joined(separator: ", "))")
        }
    }
}
