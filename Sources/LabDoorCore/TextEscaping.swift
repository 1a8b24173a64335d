/// Control characters in text that is stored, hashed or shown: C0 (U+0000–U+001F), DEL (U+007F) and C1
/// (U+0080–U+009F).
///
/// Stored event text is escaped before it is hashed (SQLite bindings stop at a NUL, and a hash over bytes the
/// database does not keep fails verification); terminal output is escaped so that an ESC sequence in a name or
/// a reader's input cannot repaint the screen or fake a table row; registry text (names, e-mails) refuses them.
public enum TextEscaping {
    /// Whether `scalar` is a control character.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Whether `text` contains a control character.
    public static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControl)
    }

    /// `text` with every control character written as `\u{XX}` (hex, as Swift writes it): `"a\u{0}b"` becomes
    /// the five visible characters `a\u{0}b`. Text without control characters is returned unchanged.
    public static func escaped(_ text: String) -> String {
        guard hasControlCharacters(text) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// `text` escaped, or nil for nil.
    public static func escaped(_ text: String?) -> String? { text.map(escaped) }

    /// Escaped as `escaped` does, but keeping line breaks: for messages of several lines that LabDoor itself
    /// puts together (an error and its details), where only the text inside them came from outside.
    public static func escapedKeepingLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { escaped(String($0)) }
            .joined(separator: "\n")
    }
}

extension StringProtocol where UTF8View: BidirectionalCollection {
    /// The text without leading and trailing spaces and tabs (not line breaks): what `trimmingCharacters(in:
    /// .whitespaces)` does, without Foundation's NSString bridge, which made it most of the cost of reading a
    /// 100,000-row registration file.
    public var trimmingSpaces: String {
        // Most fields have nothing to trim: then no scalar is looked at twice.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 {
            return String(self)
        }
        let scalars = unicodeScalars
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isWhitespace && scalar != "\n" && scalar != "\r" && scalar != "\u{0B}"
                && scalar != "\u{0C}" && scalar != "\u{85}" && scalar != "\u{2028}" && scalar != "\u{2029}"
        }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        guard let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }
}
