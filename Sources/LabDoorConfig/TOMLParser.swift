import Foundation

/// A TOML 1.0 parser for LabDoor's configuration files.
///
/// Written for LabDoor instead of using TOMLKit: TOMLKit 0.6.0 bundles a toml++ whose parser asserts (debug) or
/// assumes (release: undefined behaviour) on malformed input such as `[ =]` or `a = ,` — found by fuzzing the
/// configuration loader. A daemon that reloads its configuration on SIGHUP must reject a broken file, never
/// abort on it. Owning the parser also gives every key and value its exact line and column for error messages.
///
/// Supported: comments; bare, quoted and dotted keys; `[tables]` and `[[arrays of tables]]`; basic, literal and
/// multi-line strings with all escapes; decimal, hex, octal and binary integers; floats; booleans; arrays
/// (multi-line, trailing comma); inline tables. Dates and times are rejected with a hint to quote them: LabDoor
/// writes times as strings ("07:00"). Every error carries a position; nothing in here traps on any input.
struct TOMLParser {
    let scalars: [Unicode.Scalar]
    var index = 0
    var line = 1
    var column = 1

    /// Nesting limit for arrays and inline tables, so that hostile input cannot exhaust the stack.
    static let maximumDepth = 32

    private init(_ text: String) { scalars = Array(text.unicodeScalars) }

    static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLTable {
        var parser = TOMLParser(text)
        return try parser.document()
    }

    // MARK: Document structure

    private mutating func document() throws(TOMLSyntaxError) -> TOMLTable {
        var root = TOMLTable(origin: .defined)
        var current: [String] = []  // path of the table that key/value lines go into
        while true {
            skipWhitespace()
            guard let c = peek() else { break }
            if c == "\n" || c == "#" || c == "\r" {
                try endOfLine()
                continue
            }
            let position = here
            if c == "[" {
                advance()
                let isArray = peek() == "["
                if isArray { advance() }
                skipWhitespace()
                let path = try key()
                skipWhitespace()
                try expect("]", "expected \"]\" to close the table header")
                if isArray { try expect("]", "expected \"]]\" to close the array-of-tables header") }
                try endOfLine()
                try Self.openTable(path, array: isArray, in: &root, at: position)
                current = path
            } else {
                let path = try key()
                skipWhitespace()
                try expect("=", "expected \"=\" after the key \(path.joined(separator: "."))")
                skipWhitespace()
                let value = try value(depth: 0)
                try endOfLine()
                try Self.insert(value, at: path, keyPosition: position, intoTableAt: current, of: &root)
            }
        }
        return root
    }

    /// Applies a `[path]` or `[[path]]` header.
    private static func openTable(
        _ path: [String], array: Bool, in table: inout TOMLTable, at position: TOMLPosition
    ) throws(TOMLSyntaxError) {
        let name = path.joined(separator: ".")
        try descend(into: Array(path.dropLast()), of: &table, at: position, creating: true) {
            (parent: inout TOMLTable) throws(TOMLSyntaxError) in
            guard let last = path.last else { return }
            if array {
                if parent[last] == nil {
                    parent.arraysOfTables.insert(last)
                    parent.set(
                        last,
                        TOMLValue(
                            kind: .array([TOMLValue(kind: .table(TOMLTable(origin: .defined)), position: position)]),
                            position: position),
                        at: position)
                } else if parent.arraysOfTables.contains(last), case (var items, let kept)? = parent.takeArray(last) {
                    items.append(TOMLValue(kind: .table(TOMLTable(origin: .defined)), position: position))
                    parent.restore(last, TOMLValue(kind: .array(items), position: kept))
                } else {
                    throw TOMLSyntaxError(
                        position: position,
                        message: "[[\(name)]] conflicts with \(name) defined earlier\(firstDefinition(parent, last))")
                }
            } else {
                switch parent[last]?.kind {
                case nil:
                    parent.set(
                        last, TOMLValue(kind: .table(TOMLTable(origin: .defined)), position: position), at: position)
                case .table(var sub)? where sub.origin == .implicit:
                    sub.origin = .defined
                    parent.set(last, TOMLValue(kind: .table(sub), position: position), at: position)
                default:
                    throw TOMLSyntaxError(
                        position: position,
                        message: "[\(name)] is defined twice\(firstDefinition(parent, last)); merge the two")
                }
            }
        }
    }

    private static func firstDefinition(_ table: TOMLTable, _ key: String) -> String {
        table.position(of: key).map { " (first on line \($0.line))" } ?? ""
    }

    /// Sets `value` at the dotted `path` inside the table at `tablePath`.
    private static func insert(
        _ value: TOMLValue, at path: [String], keyPosition: TOMLPosition, intoTableAt tablePath: [String],
        of root: inout TOMLTable
    ) throws(TOMLSyntaxError) {
        try descend(into: tablePath, of: &root, at: keyPosition, creating: false) {
            (table: inout TOMLTable) throws(TOMLSyntaxError) in
            try setDotted(value, path[...], keyPosition: keyPosition, in: &table)
        }
    }

    private static func setDotted(
        _ value: TOMLValue, _ path: ArraySlice<String>, keyPosition: TOMLPosition, in table: inout TOMLTable
    ) throws(TOMLSyntaxError) {
        guard let first = path.first else { return }
        if path.count == 1 {
            guard table[first] == nil else {
                throw TOMLSyntaxError(
                    position: keyPosition,
                    message: "the key \(first) is set twice\(firstDefinition(table, first)); keep one")
            }
            table.set(first, value, at: keyPosition)
            return
        }
        if table[first] == nil {
            var sub = TOMLTable(origin: .defined)
            try setDotted(value, path.dropFirst(), keyPosition: keyPosition, in: &sub)
            table.set(first, TOMLValue(kind: .table(sub), position: keyPosition), at: keyPosition)
            return
        }
        guard case (var sub, let position)? = table.takeTable(first) else {
            throw TOMLSyntaxError(
                position: keyPosition,
                message: "\(first) is already a value\(firstDefinition(table, first)), not a table")
        }
        defer { table.restore(first, TOMLValue(kind: .table(sub), position: position)) }
        try setDotted(value, path.dropFirst(), keyPosition: keyPosition, in: &sub)
    }

    /// Runs `body` on the table at `path`, entering the last element of arrays of tables; creates implicit
    /// tables on the way when `creating`.
    private static func descend(
        into path: [String], of table: inout TOMLTable, at position: TOMLPosition, creating: Bool,
        _ body: (inout TOMLTable) throws(TOMLSyntaxError) -> Void
    ) throws(TOMLSyntaxError) {
        guard let first = path.first else {
            try body(&table)
            return
        }
        let rest = Array(path.dropFirst())
        if table[first] == nil {
            guard creating else { return }
            var sub = TOMLTable(origin: .implicit)
            try descend(into: rest, of: &sub, at: position, creating: creating, body)
            table.set(first, TOMLValue(kind: .table(sub), position: position), at: position)
        } else if case (var sub, let kept)? = table.takeTable(first) {
            // Taken out and put back (also when the body throws), so that it is changed in place, not copied.
            defer { table.restore(first, TOMLValue(kind: .table(sub), position: kept)) }
            try descend(into: rest, of: &sub, at: position, creating: creating, body)
        } else if table.arraysOfTables.contains(first), case (var items, let kept)? = table.takeArray(first) {
            defer { table.restore(first, TOMLValue(kind: .array(items), position: kept)) }
            guard let lastIndex = items.indices.last, case .table = items[lastIndex].kind else { return }
            var last = items.removeLast()
            guard case .table(var sub) = last.kind else { return }
            last.kind = .table(TOMLTable(origin: .implicit))  // drop the element's own reference to `sub`
            defer {
                last.kind = .table(sub)
                items.append(last)
            }
            try descend(into: rest, of: &sub, at: position, creating: creating, body)
        } else {
            throw TOMLSyntaxError(
                position: position, message: "\(first) is already a value\(firstDefinition(table, first)), not a table")
        }
    }

    // MARK: Keys

    private mutating func key() throws(TOMLSyntaxError) -> [String] {
        var parts: [String] = []
        while true {
            skipWhitespace()
            guard let c = peek() else { throw error("expected a key") }
            switch c {
            case "\"":
                advance()
                parts.append(try basicString(multiline: false))
            case "'":
                advance()
                parts.append(try literalString(multiline: false))
            case _ where Self.isBareKey(c):
                var s = String.UnicodeScalarView()
                while let k = peek(), Self.isBareKey(k) {
                    s.append(k)
                    advance()
                }
                parts.append(String(s))
            default:
                throw error("expected a key (letters, digits, - and _, or a quoted string), found \(Self.describe(c))")
            }
            skipWhitespace()
            guard peek() == "." else { return parts }
            advance()
        }
    }

    private static func isBareKey(_ c: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    // MARK: Values

    private mutating func value(depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        let position = here
        guard depth < Self.maximumDepth else { throw error("arrays and inline tables nested too deeply") }
        guard let c = peek() else { throw error("expected a value") }
        let kind: TOMLValue.Kind
        switch c {
        case "\"":
            let multiline = peek(1) == "\"" && peek(2) == "\""
            advance(multiline ? 3 : 1)
            kind = .string(try basicString(multiline: multiline))
        case "'":
            let multiline = peek(1) == "'" && peek(2) == "'"
            advance(multiline ? 3 : 1)
            kind = .string(try literalString(multiline: multiline))
        case "[":
            advance()
            kind = .array(try array(depth: depth + 1))
        case "{":
            advance()
            kind = .table(try inlineTable(depth: depth + 1))
        case _ where Self.isBareKey(c) || c == "+" || c == ".":
            kind = try scalarWord()
        default:
            throw error(
                "expected a value (a \"string\", number, true/false, [array] or {table}), found \(Self.describe(c))")
        }
        return TOMLValue(kind: kind, position: position)
    }

    /// true, false, numbers; dates and times are recognised only to be refused with a hint.
    private mutating func scalarWord() throws(TOMLSyntaxError) -> TOMLValue.Kind {
        let start = here
        var word = ""
        while let c = peek(),
            !(c == " " || c == "\t" || c == "\n" || c == "\r" || c == "," || c == "]" || c == "}" || c == "#")
        {
            word.unicodeScalars.append(c)
            advance()
        }
        if word == "true" { return .bool(true) }
        if word == "false" { return .bool(false) }
        if let n = Self.integer(word) { return .integer(n) }
        if let x = Self.float(word) { return .float(x) }
        let looksLikeTime = word.contains(":") || (word.count >= 10 && word.dropFirst(4).first == "-")
        throw TOMLSyntaxError(
            position: start,
            message: looksLikeTime
                ? "\(word) is a TOML date or time; LabDoor expects text here: put it in quotes, e.g. \"\(word)\""
                : "\(word) is not a value; strings need quotes, e.g. \"\(word)\"")
    }

    static func integer(_ word: String) -> Int? {
        let digits = word.unicodeScalars
        func clean(_ body: Substring, allowed: (Character) -> Bool) -> String? {
            // Underscores only between digits.
            guard let first = body.first, let last = body.last, first != "_", last != "_", !body.contains("__"),
                body.allSatisfy({ $0 == "_" || allowed($0) })
            else { return nil }
            return body.replacingOccurrences(of: "_", with: "")
        }
        let s = Substring(word)
        for (prefix, radix, allowed) in [
            ("0x", 16, { (c: Character) in c.isHexDigit }), ("0o", 8, { ("0"..."7").contains($0) }),
            ("0b", 2, { $0 == "0" || $0 == "1" }),
        ] as [(String, Int, (Character) -> Bool)] where s.hasPrefix(prefix) {
            return clean(s.dropFirst(2), allowed: allowed).flatMap { Int($0, radix: radix) }
        }
        guard !digits.isEmpty else { return nil }
        var body = s
        var sign = ""
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            body = body.dropFirst()
        }
        guard let cleaned = clean(body, allowed: { ("0"..."9").contains($0) }) else { return nil }
        if cleaned.count > 1 && cleaned.hasPrefix("0") { return nil }  // no leading zeros
        return Int(sign + cleaned)
    }

    static func float(_ word: String) -> Double? {
        switch word {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: break
        }
        guard word.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }),
            word.allSatisfy({ $0.isASCII && ($0.isNumber || "+-._eE".contains($0)) }),
            !word.contains("_."), !word.contains("._"), !word.hasPrefix("."), !word.hasSuffix("."),
            !word.contains(".e"), !word.contains(".E")
        else { return nil }
        return Double(word.replacingOccurrences(of: "_", with: ""))
    }

    private mutating func array(depth: Int) throws(TOMLSyntaxError) -> [TOMLValue] {
        var items: [TOMLValue] = []
        while true {
            try skipWhitespaceCommentsAndNewlines()
            if peek() == "]" {
                advance()
                return items
            }
            items.append(try value(depth: depth))
            try skipWhitespaceCommentsAndNewlines()
            switch peek() {
            case ","?: advance()
            case "]"?:
                advance()
                return items
            case let c?: throw error("expected \",\" or \"]\" in the array, found \(Self.describe(c))")
            case nil: throw error("the array is not closed; add \"]\"")
            }
        }
    }

    private mutating func inlineTable(depth: Int) throws(TOMLSyntaxError) -> TOMLTable {
        var table = TOMLTable(origin: .defined)
        skipWhitespace()
        if peek() == "}" {
            advance()
            table.origin = .inline
            return table
        }
        while true {
            skipWhitespace()
            let position = here
            let path = try key()
            skipWhitespace()
            try expect("=", "expected \"=\" after the key in the inline table")
            skipWhitespace()
            let value = try value(depth: depth)
            try Self.setDotted(value, path[...], keyPosition: position, in: &table)
            skipWhitespace()
            switch peek() {
            case ","?: advance()
            case "}"?:
                advance()
                table.origin = .inline
                return table
            default: throw error("expected \",\" or \"}\" in the inline table (it must fit on one line)")
            }
        }
    }
}
