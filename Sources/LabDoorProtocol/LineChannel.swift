import Foundation
public import LabDoorCore

#if canImport(Glibc)
    public import Glibc
#endif

/// A socket call that failed, with the errno it left and what to check.
public struct SocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call (`connect`, `bind`, `listen`, `chmod`, `socket`).
    public let operation: String
    /// The socket path.
    public let path: String
    /// The errno the call left (ENAMETOOLONG for a path longer than `sun_path`).
    public let errno: Int32

    /// Records a failure.
    public init(_ operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The call, the path and the system's text for the errno.
    public var description: String {
        if errno == ENAMETOOLONG {
            return "the socket path \(path) is too long (at most \(UnixSocket.maximumPathLength) bytes)"
        }
        return "\(operation) \(path): \(String(cString: strerror(errno)))"
    }
}

/// Unix-domain stream sockets by path, shared by the daemon's control server, `labdoorctl` and the sd_notify
/// sender (which uses the abstract namespace: a path starting with `@`).
public enum UnixSocket {
    /// The longest path `sockaddr_un` holds (107 bytes on Linux, plus the terminating NUL).
    public static let maximumPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Runs `body` with the socket address of `path` and its length; `@name` is the abstract namespace.
    public static func withAddress<T>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
    ) throws(SocketError) -> T {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumPathLength, !bytes.contains(0) else {
            throw SocketError("address", path: path, errno: ENAMETOOLONG)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            if bytes[0] == UInt8(ascii: "@") { raw[0] = 0 }
        }
        let abstract = bytes[0] == UInt8(ascii: "@")
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path).map { $0 + bytes.count + (abstract ? 0 : 1) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length ?? 0)) }
        }
    }

    /// Connects a new stream socket (close-on-exec) to `path`; returns its descriptor.
    public static func connect(_ path: String) throws(SocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", path: path, errno: errno) }
        var code: Int32 = 0
        let connected = try withAddress(path) { address, length -> Bool in
            while Glibc.connect(fd, address, length) != 0 {
                code = errno
                if code != EINTR { return false }
            }
            return true
        }
        guard connected else {
            Glibc.close(fd)
            throw SocketError("connect", path: path, errno: code)
        }
        return fd
    }
}

/// Newline-delimited messages over a connected stream socket, with blocking I/O on the calling thread (the
/// daemon serves each client on its own thread; `labdoorctl` has one connection). Not thread-safe: one thread
/// uses a channel at a time. Closes its descriptor when closed or released.
public final class LineChannel {
    /// The socket.
    public let fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` before this index are consumed; bytes up to `scanned` hold no newline.
    private var start = 0
    private var scanned = 0
    private var closed = false

    /// A channel over a connected socket, which it now owns.
    public init(fd: Int32) { self.fd = fd }

    deinit { close() }

    /// What `receiveLine` got.
    public enum Received: Hashable, Sendable {
        /// A line, without its newline.
        case line([UInt8])
        /// More than `limit` bytes without a newline.
        case tooLong
        /// The peer closed the connection (or it failed).
        case closed
        /// The deadline passed (or `SO_RCVTIMEO` expired) before a whole line arrived.
        case timedOut
    }

    /// Receives the next line (at most `limit` bytes), waiting no longer than `timeout` for all of it: a peer that
    /// sends a byte now and then cannot keep the call waiting past it. Each byte is looked at once, however the
    /// line arrives.
    public func receiveLine(limit: Int, timeout: Duration? = nil) -> Received {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                scanned = start
                compact()
                return line.count > limit ? .tooLong : .line(line)
            }
            scanned = buffer.count
            if buffer.count - start > limit { return .tooLong }
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return .timedOut }
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(clamping: Int64(left.timeInterval * 1000) + 1)
                let polled = poll(&ready, 1, milliseconds)
                if polled < 0 && errno == EINTR { continue }
                if polled == 0 { return .timedOut }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                return code == EAGAIN || code == EWOULDBLOCK ? .timedOut : .closed
            }
            if n == 0 { return .closed }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Drops consumed bytes once they are most of the buffer (amortised O(1) per byte).
    private func compact() {
        guard start > 0, start >= buffer.count / 2 else { return }
        buffer.removeSubrange(0..<start)
        scanned -= start
        start = 0
    }

    /// Sends `text` and a newline; false when the peer is gone (or the send timed out).
    @discardableResult
    public func send(line text: String) -> Bool { send(lineBytes: Array(text.utf8)) }

    /// Sends one line given as UTF-8 bytes (without its line feed); false when the peer is gone.
    public func send(lineBytes: [UInt8]) -> Bool {
        var bytes = lineBytes
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Sends one JSON value as a line.
    @discardableResult
    public func send(_ value: JSONValue) -> Bool {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        value.write(to: &bytes)
        return send(lineBytes: bytes)
    }

    /// Sets the receive and send timeouts (`SO_RCVTIMEO`, `SO_SNDTIMEO`).
    public func setTimeouts(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Whether the peer has closed its end (or the connection failed), looked at without reading or waiting.
    public func peerHungUp() -> Bool {
        // POLLRDHUP (0x2000, Linux): the peer shut down writing — a client that gave up and closed. Glibc's
        // module does not export the constant (it is behind _GNU_SOURCE).
        let rdhup: Int16 = 0x2000
        var ready = pollfd(fd: fd, events: rdhup, revents: 0)
        guard poll(&ready, 1, 0) > 0 else { return false }
        return ready.revents & (rdhup | Int16(POLLHUP) | Int16(POLLERR)) != 0
    }

    /// Closes the socket (once).
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}
