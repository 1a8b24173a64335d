import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's state directory, claimed for this process: a lock file (one daemon per directory) and a marker
/// that exists while it runs, so that the next start can tell an unclean stop.
struct StateDirectory: Sendable {
    let path: String
    /// The lock file's descriptor, held (with its `flock`) until the process exits.
    private let lockFD: Int32
    /// Whether the previous daemon did not stop cleanly (its marker is still there).
    let wasUnclean: Bool

    private var marker: String { "\(path)/labdoord.running" }

    /// Creates the directory if needed (mode 0750) and takes its lock.
    static func claim(_ path: String) throws(DaemonStartError) -> StateDirectory {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw DaemonStartError("cannot create the state directory \(path): \(error.localizedDescription)")
        }
        let lockPath = "\(path)/labdoord.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DaemonStartError(SystemCallError("open", path: lockPath, errno: errno)) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw DaemonStartError("another labdoord is running on the state directory \(path)")
            }
            throw DaemonStartError(SystemCallError("flock", path: lockPath, errno: code))
        }
        let unclean = FileManager.default.fileExists(atPath: "\(path)/labdoord.running")
        return StateDirectory(path: path, lockFD: fd, wasUnclean: unclean)
    }

    /// Makes the database and its WAL files 0640 and takes the state directory's bits for others away, however
    /// they were created (a database made by hand, or by an older LabDoor, under a wide umask).
    static func restrict(database: String, logger: Logger) {
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
            if chmod(database + suffix, 0o640) != 0 {
                logger.warning(
                    "cannot restrict the database's mode",
                    metadata: ["path": "\(database + suffix)", "error": "\(String(cString: strerror(errno)))"])
            }
        }
        let directory = (database as NSString).deletingLastPathComponent
        var info = stat()
        if stat(directory, &info) == 0, info.st_mode & 0o007 != 0 {
            _ = chmod(directory, (info.st_mode & 0o7777) & ~0o007)
        }
    }

    /// Writes the marker (with the pid).
    func markRunning() {
        _ = FileManager.default.createFile(atPath: marker, contents: Data("\(getpid())\n".utf8))
    }

    /// Removes the marker after a clean stop.
    func markStopped() {
        unlink(marker)
    }
}
