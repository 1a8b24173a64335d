import Foundation

extension TOMLParser {
    // MARK: Characters and positions

    var here: TOMLPosition { TOMLPosition(line: line, column: column) }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < scalars.count {
            if scalars[index] == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += 1
        }
    }

    func error(_ message: String) -> TOMLSyntaxError { TOMLSyntaxError(position: here, message: message) }

    static func describe(_ c: Unicode.Scalar) -> String {
        if c == "\n" { return "the end of the line" }
        if c.value < 0x20 || c.value == 0x7F {
            let hex = String(c.value, radix: 16, uppercase: true)
            return "control character U+\(String(repeating: "0", count: 4 - hex.count))\(hex)"
        }
        return "\"\(c)\""
    }

    func checkControl(_ c: Unicode.Scalar) throws(TOMLSyntaxError) {
        if (c.value < 0x20 && c != "\t") || c.value == 0x7F {
            throw error("\(Self.describe(c)) is not allowed in TOML; remove it (inside a string, write an escape)")
        }
    }

    mutating func expect(_ c: Unicode.Scalar, _ message: String) throws(TOMLSyntaxError) {
        guard peek() == c else { throw error(message) }
        advance()
    }

    mutating func skipWhitespace() {
        while let c = peek(), c == " " || c == "\t" { advance() }
    }

    /// Consumes "\n" or "\r\n" and returns "\n"; a lone CR is left for the caller's error.
    mutating func takeNewline() -> String {
        if peek() == "\r" && peek(1) == "\n" {
            advance(2)
            return "\n"
        }
        if peek() == "\n" {
            advance()
            return "\n"
        }
        advance()
        return "\r"
    }

    mutating func skipOneNewline() {
        if peek() == "\n" || (peek() == "\r" && peek(1) == "\n") { _ = takeNewline() }
    }

    mutating func skipComment() throws(TOMLSyntaxError) {
        guard peek() == "#" else { return }
        while let c = peek(), c != "\n" {
            if c == "\r" && peek(1) == "\n" { return }
            try checkControl(c)
            advance()
        }
    }

    /// After a statement: optional white space and comment, then a line break or the end of the file.
    mutating func endOfLine() throws(TOMLSyntaxError) {
        skipWhitespace()
        try skipComment()
        switch peek() {
        case nil: return
        case "\n"?: advance()
        case "\r"? where peek(1) == "\n": advance(2)
        case let c?: throw error("expected the end of the line, found \(Self.describe(c)); put one setting per line")
        }
    }

    mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLSyntaxError) {
        while true {
            skipWhitespace()
            switch peek() {
            case "#"?: try skipComment()
            case "\n"?: advance()
            case "\r"? where peek(1) == "\n": advance(2)
            default: return
            }
        }
    }
}
