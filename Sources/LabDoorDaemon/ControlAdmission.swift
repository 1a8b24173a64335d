import Foundation
import LabDoorProtocol

/// Who gets one of the control socket's connection slots, decided at `accept` from the kernel's word on the
/// caller (`SO_PEERCRED`): so that no local user can lock staff out by holding connections open.
///
/// - At most `Limits.total` connections at once; the last `reservedForAdmin` of them only for root and
///   `labdoor-admin` callers, so staff can always lock the door down.
/// - At most `perUser` connections of one non-admin uid, and `withoutRole` of callers in no LabDoor group (they
///   are only told that they may do nothing).
/// Pure bookkeeping; the server keeps it in a mutex.
struct ControlAdmission: Sendable {
    struct Limits: Sendable {
        var total = 32
        var reservedForAdmin = 8
        var perUser = 8
        var withoutRole = 4
    }

    let limits: Limits
    private(set) var total = 0
    private(set) var nonAdmin = 0
    private(set) var withoutRole = 0
    private var perUser: [uid_t: Int] = [:]

    init(limits: Limits = Limits()) { self.limits = limits }

    /// Takes a slot for a caller, or says why not (the message for its `busy` reply).
    mutating func admit(uid: uid_t, role: ControlRole) -> String? {
        guard total < limits.total else { return "labdoord serves \(limits.total) connections already; try again" }
        if role != .admin {
            guard nonAdmin < limits.total - limits.reservedForAdmin else {
                return "all connections open to non-staff callers are in use; try again"
            }
            guard perUser[uid, default: 0] < limits.perUser else {
                return "uid \(uid) has \(limits.perUser) connections open already; close one and try again"
            }
            if role == .none {
                guard withoutRole < limits.withoutRole else { return "too many connections; try again" }
                withoutRole += 1
            }
            nonAdmin += 1
            perUser[uid, default: 0] += 1
        }
        total += 1
        return nil
    }

    /// Gives a caller's slot back.
    mutating func release(uid: uid_t, role: ControlRole) {
        total -= 1
        guard role != .admin else { return }
        nonAdmin -= 1
        if role == .none { withoutRole -= 1 }
        perUser[uid, default: 1] -= 1
        if perUser[uid] == 0 { perUser[uid] = nil }
    }
}
