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
    /// The other problems found in the same file, in line order (a file is checked whole, so that one run names
    /// everything to fix).
    public internal(set) var others: [ConfigurationError] = []

    /// Creates an error.
    public init(file: String, line: Int?, column: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    /// Every problem: this one, then the others.
    public var all: [ConfigurationError] { [self.alone] + others }

    private var alone: ConfigurationError {
        var copy = self
        copy.others = []
        return copy
    }

    /// `FILE:LINE:COLUMN: key K: message`, leaving out what is unknown; one line per problem.
    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let first = key.map { "\(location): \($0): \(message)" } ?? "\(location): \(message)"
        return ([first] + others.map(\.description)).joined(separator: "\n")
    }
}

/// Collects the problems of a configuration file, so that all of them are reported at once: each independent
/// part (a key, a section, a reader) is checked in `check`, and `finish` throws them together.
struct ProblemCollector {
    private(set) var problems: [ConfigurationError] = []

    /// Runs `body`, keeping its problem (and the problems it collected) instead of stopping.
    mutating func check(_ body: () throws(ConfigurationError) -> Void) {
        do {
            try body()
        } catch {
            problems += error.all
        }
    }

    /// Throws every problem collected, in line order, as one error; returns when there are none.
    func finish() throws(ConfigurationError) {
        let sorted = problems.enumerated().sorted { a, b in
            (a.element.line ?? Int.max, a.offset) < (b.element.line ?? Int.max, b.offset)
        }.map(\.element)
        guard var first = sorted.first else { return }
        first.others = Array(sorted.dropFirst())
        throw first
    }
}
