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

    /// Parses all of `text`. Works on its UTF-8 bytes (every delimiter is ASCII, and a multi-byte character never
    /// contains an ASCII byte), building each field once: 100,000 rows take a fraction of a second.
    public static func records(_ text: String) throws(SyntaxError) -> [Record] {
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var index = 0
        var quoted = false  // inside a quoted field
        var afterQuote = false  // a quoted field just closed: only a comma or a line end may follow
        var fieldStarted = false
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
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

        while index < bytes.count {
            let c = bytes[index]
            if quoted {
                if c == quote {
                    if index + 1 < bytes.count, bytes[index + 1] == quote {
                        field.append(quote)
                        index += 2
                        continue
                    }
                    quoted = false
                    afterQuote = true
                } else {
                    if c == lf { line += 1 }
                    field.append(c)
                }
                index += 1
                continue
            }
            switch c {
            case comma:
                endField()
                fieldStarted = true
            case cr:
                guard index + 1 < bytes.count, bytes[index + 1] == lf else {
                    throw SyntaxError(
                        line: line,
                        message: "a carriage return without a line feed; save the file with LF or CRLF line ends")
                }
            case lf:
                endRecord()
                line += 1
                recordLine = line
            case quote:
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
            index += 1
        }
        guard !quoted else {
            throw SyntaxError(line: recordLine, message: "a quoted field is not closed; add the closing quote (\")")
        }
        if !field.isEmpty || !fields.isEmpty || fieldStarted { endRecord() }
        return records
    }
}
