import CLabDoorSystem
import Foundation
import LabDoorProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Who is on the other end of a control connection, from the kernel (SO_PEERCRED, SO_PEERGROUPS), and what
/// they may do: root and members of `labdoor-admin` may change things, members of `labdoor-audit` may read.
struct Caller: Sendable, CustomStringConvertible {
    let pid: pid_t
    let uid: uid_t
    /// The Unix user name (`Caller.userName`), as the log's `actor` field records it.
    let user: String
    let role: ControlRole

    var description: String { "\(user) (uid \(uid), pid \(pid))" }

    /// Identifies the peer of a connected socket; nil when the kernel does not say.
    ///
    /// The groups are the ones the peer process has (SO_PEERGROUPS); on a kernel without it (before 4.13) only
    /// the primary group counts. Thread-safe: the user and group lookups use the reentrant `_r` calls.
    static func identify(_ fd: Int32) -> Caller? {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard labdoor_sys_peer_credentials(fd, &pid, &uid, &gid) == 0 else { return nil }
        var groups = [gid_t](repeating: 0, count: 256)
        let count = Int(labdoor_sys_peer_groups(fd, &groups, Int32(groups.count)))
        var all = Set(groups.prefix(max(0, min(count, groups.count))))
        all.insert(gid)
        let role: ControlRole
        if uid == 0 {
            role = .admin
        } else if let admin = groupID(ControlRole.adminGroup), all.contains(admin) {
            role = .admin
        } else if let audit = groupID(ControlRole.auditGroup), all.contains(audit) {
            role = .audit
        } else {
            role = .none
        }
        return Caller(pid: pid, uid: uid, user: userName(uid), role: role)
    }

    /// The user name of `uid`, or `uid-N` when the user database has none: the one spelling the log uses.
    static func userName(_ uid: uid_t) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let name = buffer.withUnsafeMutableBufferPointer { storage -> String? in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard let base = storage.baseAddress, getpwuid_r(uid, &entry, base, storage.count, &result) == 0,
                result != nil, let name = entry.pw_name
            else { return nil }
            return String(cString: name)  // copied while the strings in `storage` are alive
        }
        return name ?? "uid-\(uid)"
    }

    /// The id of group `name`, if it exists.
    static func groupID(_ name: String) -> gid_t? {
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        return buffer.withUnsafeMutableBufferPointer { storage -> gid_t? in
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            guard let base = storage.baseAddress, getgrnam_r(name, &entry, base, storage.count, &result) == 0,
                result != nil
            else { return nil }
            return entry.gr_gid
        }
    }
}
