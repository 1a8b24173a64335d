import Foundation

/// A position in a TOML document: 1-based line and column (in Unicode scalars).
struct TOMLPosition: Hashable, Sendable {
    var line: Int
    var column: Int
}

/// A TOML value with the position where it was written.
struct TOMLValue: Sendable {
    indirect enum Kind: Sendable {
        case table(TOMLTable)
        case array([TOMLValue])
        case string(String)
        case integer(Int)
        case float(Double)
        case bool(Bool)
    }

    var kind: Kind
    var position: TOMLPosition

    var typeName: String {
        switch kind {
        case .table: "table"
        case .array: "array"
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .bool: "boolean"
        }
    }
}

/// A TOML table: its keys in the order written, and where each key was written.
struct TOMLTable: Sendable {
    enum Origin: Sendable {
        /// Created on the way to a deeper header or dotted key; may still get its own header once.
        case implicit
        /// Defined by a `[header]`, a dotted key, or as an element of `[[array]]`.
        case defined
        /// An inline table `{ … }`: closed, never extended.
        case inline
    }

    private(set) var keys: [String] = []
    private(set) var values: [String: TOMLValue] = [:]
    private(set) var keyPositions: [String: TOMLPosition] = [:]
    var origin: Origin
    /// Arrays created by `[[header]]` (only those may be appended to by a later header).
    var arraysOfTables: Set<String> = []

    init(origin: Origin) { self.origin = origin }

    subscript(key: String) -> TOMLValue? { values[key] }

    func position(of key: String) -> TOMLPosition? { keyPositions[key] }

    mutating func set(_ key: String, _ value: TOMLValue, at position: TOMLPosition) {
        if values[key] == nil {
            keys.append(key)
            keyPositions[key] = position
        }
        values[key] = value
    }

    /// Takes the table at `key` out (if it is one that may be extended), leaving the key's place and position:
    /// the caller then holds the only reference, so changing it and putting it back with `restore` does not copy
    /// it. (Changing a copy while the parent still held it copied the whole table on every key: quadratic.)
    mutating func takeTable(_ key: String) -> (table: TOMLTable, position: TOMLPosition)? {
        guard let value = values[key], case .table(let table) = value.kind, table.origin != .inline else { return nil }
        values[key] = nil
        return (table, value.position)
    }

    /// Takes the array at `key` out, as `takeTable` does.
    mutating func takeArray(_ key: String) -> (items: [TOMLValue], position: TOMLPosition)? {
        guard let value = values[key], case .array(let items) = value.kind else { return nil }
        values[key] = nil
        return (items, value.position)
    }

    /// Puts a taken value back at its key (whose place in `keys` was kept).
    mutating func restore(_ key: String, _ value: TOMLValue) { values[key] = value }
}

/// A syntax or structure error in a TOML document.
struct TOMLSyntaxError: Error, Sendable {
    let position: TOMLPosition
    let message: String
}
