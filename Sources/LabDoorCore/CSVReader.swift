/// An RFC 4180 CSV reader: records of fields, each record with the line it starts on.
///
/// LabDoor reads CSV itself rather than with SwiftCSV or CSV.swift: the registration import must name the *line*
/// of every bad record (a quoted field may span lines, so a record's index is not its line), must refuse an
/// unclosed quote or text after a closing quote with that line instead of guessing, and must never guess the
/// delimiter (SwiftCSV does). Accepted: a UTF-8 BOM, LF or CRLF line ends, quoted fields with `""`, commas and
/// line breaks inside, empty lines (skipped).
public struct CSVReader: Sendable {
    /// One record.
    public struct Record: Hashable, Sendable {
        /// The 1-based line the record starts on.
        public let line: Int
        /// Its fields, unquoted.
        public let fields: [String]
    }

    /// A record that is not CSV.
    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The 1-based line.
        public let line: Int
        /// What is wrong and what to do.
        public let message: String
        /// `line N: message`.
        public var description: String { "line \(line): \(message)" }
    }

    /// Parses all of `text`.
    public static func records(_ text: String) throws(SyntaxError) -> [Record] {
        var scalars = Substring(text).unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var recordLine = 1
        var index = scalars.startIndex
        var quoted = false  // inside a quoted field
        var afterQuote = false  // a quoted field just closed: only a comma or a line end may follow
        var fieldStarted = false

        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            afterQuote = false
            fieldStarted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
        }

        while index < scalars.endIndex {
            let c = scalars[index]
            let next = scalars.index(after: index)
            if quoted {
                if c == "\"" {
                    if next < scalars.endIndex, scalars[next] == "\"" {
                        field.append("\"")
                        index = scalars.index(after: next)
                        continue
                    }
                    quoted = false
                    afterQuote = true
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
                index = next
                continue
            }
            switch c {
            case ",":
                endField()
                fieldStarted = true
            case "\r":
                guard next < scalars.endIndex, scalars[next] == "\n" else {
                    throw SyntaxError(
                        line: line,
                        message: "a carriage return without a line feed; save the file with LF or CRLF line ends")
                }
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            case "\"":
                guard field.isEmpty, !afterQuote else {
                    throw SyntaxError(
                        line: line,
                        message: "a quote inside an unquoted field; quote the whole field and double the quote (\"\")")
                }
                quoted = true
                fieldStarted = true
            default:
                guard !afterQuote else {
                    throw SyntaxError(
                        line: line, message: "text after a closing quote; put the whole field in quotes, or none of it")
                }
                field.append(c)
                fieldStarted = true
            }
            index = next
        }
        guard !quoted else {
            throw SyntaxError(line: recordLine, message: "a quoted field is not closed; add the closing quote (\")")
        }
        if !field.isEmpty || !fields.isEmpty || fieldStarted { endRecord() }
        return records
    }
}
