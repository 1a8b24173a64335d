/// A configuration file that cannot be used: where the problem is and what to write instead.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file's path as given.
    public let file: String
    /// The 1-based line, when known.
    public let line: Int?
    /// The 1-based column, when known (syntax errors).
    public let column: Int?
    /// The dotted key, e.g. "hours.monday", when the problem is a key's value.
    public let key: String?
    /// What is wrong and what is allowed.
    public let message: String

    /// Creates an error.
    public init(file: String, line: Int?, column: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    /// `FILE:LINE:COLUMN: key K: message`, leaving out what is unknown.
    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        if let key { return "\(location): \(key): \(message)" }
        return "\(location): \(message)"
    }
}
