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
