import CLabDoorSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who is on the other end of a control connection, from the kernel (SO_PEERCRED, SO_PEERGROUPS), and what
/// they may do: root and members of `labdoor-admin` may change things, members of `labdoor-audit` may read.
struct Caller: Sendable, CustomStringConvertible {
    enum Role: Int, Comparable, Sendable {
        case none = 0
        case audit = 1
        case admin = 2
        static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
    }

    static let adminGroup = "labdoor-admin"
    static let auditGroup = "labdoor-audit"

    let pid: pid_t
    let uid: uid_t
    let user: String
    let role: Role

    var description: String { "\(user) (uid \(uid), pid \(pid))" }

    /// Identifies the peer of a connected socket; nil when the kernel does not say.
    static func identify(_ fd: Int32) -> Caller? {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard labdoor_sys_peer_credentials(fd, &pid, &uid, &gid) == 0 else { return nil }
        var groups = [gid_t](repeating: 0, count: 256)
        var count = Int(labdoor_sys_peer_groups(fd, &groups, Int32(groups.count)))
        if count < 0 {
            // Older kernels: the user's groups from the group database.
            count = 0
            groups = []
        }
        var all = Set(groups.prefix(min(count, groups.count)))
        all.insert(gid)
        let user = userName(uid)
        let role: Role
        if uid == 0 {
            role = .admin
        } else if let admin = groupID(adminGroup), all.contains(admin) {
            role = .admin
        } else if let audit = groupID(auditGroup), all.contains(audit) {
            role = .audit
        } else {
            role = .none
        }
        return Caller(pid: pid, uid: uid, user: user, role: role)
    }

    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid-\(uid)" }
        return String(cString: name)
    }

    static func groupID(_ name: String) -> gid_t? {
        guard let entry = getgrnam(name) else { return nil }
        return entry.pointee.gr_gid
    }
}
