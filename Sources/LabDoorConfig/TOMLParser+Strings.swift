import Foundation

extension TOMLParser {
    // MARK: Strings

    mutating func basicString(multiline: Bool) throws(TOMLSyntaxError) -> String {
        var out = String.UnicodeScalarView()
        if multiline { skipOneNewline() }
        while true {
            guard let c = peek() else { throw error("the string is not closed; add the closing quote") }
            if c == "\"" {
                if !multiline {
                    advance()
                    return String(out)
                }
                if peek(1) == "\"" && peek(2) == "\"" {
                    advance(3)
                    // Up to two quotes may directly precede the closing delimiter.
                    var extra = 0
                    while peek() == "\"" && extra < 2 {
                        out.append("\"")
                        advance()
                        extra += 1
                    }
                    return String(out)
                }
                out.append(c)
                advance()
                continue
            }
            if c == "\n" || c == "\r" {
                guard multiline else { throw error("the string is not closed on this line; add the closing quote") }
                out.append(contentsOf: takeNewline().unicodeScalars)
                continue
            }
            if c == "\\" {
                advance()
                try escape(into: &out, multiline: multiline)
                continue
            }
            try checkControl(c)
            out.append(c)
            advance()
        }
    }

    mutating func escape(into out: inout String.UnicodeScalarView, multiline: Bool) throws(TOMLSyntaxError) {
        guard let e = peek() else { throw error("the string ends after a backslash") }
        switch e {
        case "b": out.append("\u{08}")
        case "t": out.append("\t")
        case "n": out.append("\n")
        case "f": out.append("\u{0C}")
        case "r": out.append("\r")
        case "e": out.append("\u{1B}")
        case "\"": out.append("\"")
        case "\\": out.append("\\")
        case "u", "U":
            let count = e == "u" ? 4 : 8
            var hex = ""
            for offset in 1...count {
                guard let h = peek(offset), Character(h).isHexDigit else {
                    throw error("\\\(e) needs \(count) hex digits")
                }
                hex.unicodeScalars.append(h)
            }
            guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                throw error("\\\(e)\(hex) is not a Unicode scalar value")
            }
            out.append(scalar)
            advance(count)
        case " ", "\t", "\n", "\r":
            // Line-ending backslash: trims the line break and the white space that follows.
            guard multiline else {
                throw error("\\ followed by a space or line break is allowed only in a \"\"\"multi-line string\"\"\"")
            }
            var sawNewline = false
            while let w = peek(), w == " " || w == "\t" || w == "\n" || w == "\r" {
                if w == "\n" || w == "\r" {
                    sawNewline = true
                    guard takeNewline() == "\n" else { throw error("a lone carriage return is not a line break") }
                } else {
                    advance()
                }
            }
            guard sawNewline else { throw error("a backslash followed by spaces must end the line") }
            return
        default:
            throw error("\\\(Character(e)) is not an escape; write \\\\ for a backslash")
        }
        advance()
    }

    mutating func literalString(multiline: Bool) throws(TOMLSyntaxError) -> String {
        var out = String.UnicodeScalarView()
        if multiline { skipOneNewline() }
        while true {
            guard let c = peek() else { throw error("the string is not closed; add the closing quote") }
            if c == "'" {
                if !multiline {
                    advance()
                    return String(out)
                }
                if peek(1) == "'" && peek(2) == "'" {
                    advance(3)
                    var extra = 0
                    while peek() == "'" && extra < 2 {
                        out.append("'")
                        advance()
                        extra += 1
                    }
                    return String(out)
                }
            }
            if c == "\n" || c == "\r" {
                guard multiline else { throw error("the string is not closed on this line; add the closing quote") }
                out.append(contentsOf: takeNewline().unicodeScalars)
                continue
            }
            try checkControl(c)
            out.append(c)
            advance()
        }
    }
}
