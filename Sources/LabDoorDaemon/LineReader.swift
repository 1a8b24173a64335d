import Foundation
import LabDoorCore
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A reader that takes one badge number per line from a file descriptor: standard input (`backend = "stdin"`)
/// or a FIFO (`backend = "fifo"`, opened read-write so that it never sees end-of-file when a writer closes).
/// Reads run on a dedicated thread; lines longer than `maximumLine` are rejected, not buffered.
///
/// A reader port for one reader. `stop` does not interrupt the blocked read: the thread ends with the process
/// (closing a descriptor another thread is reading from could hand its number to an unrelated file).
final class LineReader: ReaderPort {
    /// The longest accepted line; longer input is discarded up to the next newline and reported.
    static let maximumLine = 128

    let name: String
    let source: Source
    /// Where lines come from.
    enum Source: Sendable {
        /// Standard input.
        case standardInput
        /// A FIFO at this path (created if missing).
        case fifo(String)
    }

    /// A reader called `name` on `source`.
    init(name: String, source: Source) {
        self.name = name
        self.source = source
    }

    /// This reader's name.
    var readerNames: [String] { [name] }

    /// Nothing to stop (see the type's note).
    func stop() {}

    /// A FIFO or standard input has no light to show a decision on.
    func show(_ decision: Decision, on reader: String) {}

    /// Opens the source and starts the reading thread; `deliver` is called for every line and state change.
    func start(deliver: @escaping @Sendable (String, ReaderInput) -> Void) throws {
        let name = name
        try open { input in deliver(name, input) }
    }

    private func open(deliver: @escaping @Sendable (ReaderInput) -> Void) throws(ReaderError) {
        let fd: Int32
        switch source {
        case .standardInput:
            fd = STDIN_FILENO
        case .fifo(let path):
            var info = stat()
            if stat(path, &info) != 0 {
                guard mkfifo(path, 0o620) == 0 else {
                    throw ReaderError(message: "cannot create FIFO \(path)", errno: errno)
                }
            } else if (info.st_mode & S_IFMT) != S_IFIFO {
                throw ReaderError(message: "\(path) exists and is not a FIFO; remove it or set another path")
            }
            fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw ReaderError(message: "cannot open FIFO \(path)", errno: errno) }
        }
        let description: String =
            switch source {
            case .standardInput: "standard input"
            case .fifo(let path): path
            }
        let thread = Thread {
            deliver(.attached(description))
            var line: [UInt8] = []
            var overlong = false
            var buffer = [UInt8](repeating: 0, count: 512)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                for byte in buffer[0..<n] {
                    if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                        if overlong {
                            deliver(.rejected("line longer than \(Self.maximumLine) bytes"))
                        } else if !line.isEmpty {
                            deliver(.read(String(decoding: line, as: UTF8.self)))
                        }
                        line.removeAll(keepingCapacity: true)
                        overlong = false
                    } else if line.count >= Self.maximumLine {
                        overlong = true
                    } else {
                        line.append(byte)
                    }
                }
            }
            deliver(.detached("end of input on \(description)"))
        }
        thread.name = "labdoord.reader.\(name)"
        thread.start()
    }
}

/// A reader could not be opened.
struct ReaderError: Error, CustomStringConvertible {
    /// What went wrong and what to do.
    let message: String
    /// The errno of the call that failed, if one did.
    let errno: Errno?

    /// An error, with the errno a call left when there is one.
    init(message: String, errno code: Int32? = nil) {
        self.message = message
        self.errno = code.map { Errno(rawValue: $0) }
    }

    /// The message, and the system's word for the errno.
    var description: String { message + (errno.map { ": \($0)" } ?? "") }
}
