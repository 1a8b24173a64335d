import SystemPackage

/// A system call that failed: which call, on what, and the errno it left (swift-system's `Errno`, so the C code
/// travels with the error while the message stays readable).
struct SystemCallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call (`open`, `flock`, `rename`, `bind`, …).
    let call: String
    /// The file or socket it was about.
    let path: String
    /// The error number.
    let errno: Errno

    /// Records a failure with the errno the call just left (read it on the line after the call).
    init(_ call: String, path: String, errno code: Int32) {
        self.call = call
        self.path = path
        self.errno = Errno(rawValue: code)
    }

    /// `open /var/lib/labdoor/labdoord.lock: Permission denied (EACCES)`.
    var description: String { "\(call) \(path): \(errno.description)" }
}

/// Why the daemon cannot start: a sentence that says what to fix, and the error behind it.
public struct DaemonStartError: Error, CustomStringConvertible {
    /// What is wrong and what to do.
    public let message: String
    /// The underlying error (a `SystemCallError`, a `GPIOError`, a `StoreError`), when there is one.
    public let cause: (any Error & Sendable)?

    /// An error with a message.
    init(_ message: String) {
        self.message = message
        self.cause = nil
    }

    /// An error that a system call caused.
    init(_ cause: SystemCallError) {
        self.message = cause.description
        self.cause = cause
    }

    /// The message.
    public var description: String { message }
}
