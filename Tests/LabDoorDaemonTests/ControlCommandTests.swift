import Foundation
import LabDoorCore
import LabDoorProtocol
import LabDoorTestKit
import Testing

@testable import LabDoorDaemon

@Suite("Control commands over the router: roles, arguments, results", .timeLimit(.minutes(1)))
struct ControlCommandTests {
    @Test("every command the protocol defines has a route, and every route is a protocol command")
    func everyCommandIsRouted() async throws {
        let rig = try await DaemonRig()
        let names = Set(ControlCommands.all.map { $0.name })
        #expect(names.count == ControlCommands.all.count, "a wire name is used twice")
        #expect(Set(rig.router.routes.keys) == names)
    }

    @Test("a reader in labdoor-audit may read but not change; a caller in no group is told both groups")
    func roles() async throws {
        let rig = try await DaemonRig()
        #expect(try await rig.send(DoorStatusCommand(), as: .audit).relay == "locked")
        do {
            _ = try await rig.send(DoorUnlockCommand(), as: .audit, user: "auditor")
            Issue.record("an auditor unlocked the door")
        } catch {
            #expect(error.code == .forbidden)
            #expect(error.message.contains("door.unlock changes the door") && error.message.contains("labdoor-admin"))
        }
        do {
            _ = try await rig.send(StatusCommand(), as: .none, user: "nobody")
            Issue.record("a caller in no group read the status")
        } catch {
            #expect(error.code == .forbidden)
            #expect(
                error.message.contains("nobody is in neither labdoor-admin") && error.message.contains("labdoor-audit"))
        }
        #expect(rig.timeline.relays.isEmpty)
    }

    @Test("wrong argument types are bad requests naming the argument; the default is never used instead")
    func badArguments() async throws {
        let rig = try await DaemonRig()
        let route = try #require(rig.router.route(DoorUnlockCommand.name))
        let caller = Caller(pid: 1, uid: 1000, user: "kaisa", role: .admin)
        guard case .loop(let prepare) = route.handler else {
            Issue.record("door.unlock does not run on the loop")
            return
        }
        for (arguments, mentions) in [
            (JSONValue.object([("for", .string("ever"))]), "args.for"),
            (.object([("for", .bool(true))]), "args.for"),
        ] {
            do {
                _ = try prepare(arguments, caller)
                Issue.record("accepted \(arguments)")
            } catch {
                #expect(error.code == .badRequest && error.message.contains(mentions), "\(error.message)")
            }
        }
        await #expect(throws: ControlError.self) { try await rig.send(DoorUnlockCommand(seconds: 0)) }
        await #expect(throws: ControlError.self) { try await rig.send(DoorUnlockCommand(seconds: 43_201)) }
        #expect(rig.timeline.relays.isEmpty)
    }

    @Test("staff data commands change the store, each logged once with the caller, never with a name")
    func registryCommands() async throws {
        let rig = try await DaemonRig()
        let holder = try await rig.send(
            HolderAddCommand(name: " Aino Virtanen ", profile: "visitor", email: "aino@vm.fi"), user: "kaisa")
        #expect(holder.id == 1 && holder.name == "Aino Virtanen" && holder.email == "aino@vm.fi")
        await #expect(throws: ControlError.self) { try await rig.send(HolderAddCommand(name: "X", profile: "vip")) }
        let badge = try await rig.send(BadgeAssignCommand(number: "04:a2:3f:1b", holder: 1))
        #expect(badge.last4 == "3F1B" && badge.fingerprint.hasPrefix("fake-"))
        do {
            _ = try await rig.send(BadgeAssignCommand(number: "04A23F1B", holder: 1))
            Issue.record("the same badge was assigned twice")
        } catch {
            #expect(error.code == .refused && error.message.contains("already assigned"))
        }
        // An until that is a date alone is the end of that day; results show the site zone with its offset.
        let registration = try await rig.send(
            RegistrationAddCommand(holder: 1, from: "2027-01-05", until: "2027-01-05"))
        #expect(
            registration.from == "2027-01-05T00:00:00+02:00" && registration.until == "2027-01-06T00:00:00+02:00")
        await rig.badge("04A23F1B")
        #expect(rig.lastDecision?.reason == .granted)
        let revoked = try await rig.send(BadgeRevokeCommand(number: "04a23f1b"))
        #expect(revoked.revoked && revoked.last4 == "3F1B")
        await rig.badge("04A23F1B")
        #expect(rig.lastDecision?.reason == .badgeRevoked)
        let holders = try await rig.send(HolderListCommand(), as: .audit)
        #expect(holders.items.map(\.name) == ["Aino Virtanen"] && holders.nextAfter == nil)

        let admin = rig.events(.adminChange).map(\.record)
        #expect(admin.count == 4 && admin.allSatisfy { $0.actor == "kaisa" })
        let logText = rig.store.logged.map { "\($0.record)" }.joined()
        #expect(!logText.contains("Aino") && !logText.contains("aino@vm.fi") && !logText.contains("04A23F1B"))
    }

    @Test("audit purge is done by the daemon for an admin, logged with the caller as actor")
    func purge() async throws {
        let rig = try await DaemonRig()
        await rig.badge("12345678")
        await rig.advance(.seconds(2 * 86_400))
        await rig.badge("12345679")
        // Younger than the retention period (365 days by default): refused unless forced.
        await #expect {
            try await rig.send(AuditPurgeCommand(before: "2027-01-06"), user: "auditor-admin")
        } throws: { error in
            guard let error = error as? ControlError else { return false }
            return error.code == .badRequest && error.message.contains("retention") && error.message.contains("--force")
        }
        let counted = try await rig.send(
            AuditPurgeCommand(before: "2027-01-06", dryRun: true, force: true), user: "auditor-admin")
        #expect(counted.dryRun && counted.removed == 2 && rig.events(.logPurged).isEmpty)
        let result = try await rig.send(
            AuditPurgeCommand(before: "2027-01-06", force: true), user: "auditor-admin")
        #expect(result.removed == 2 && result.before == "2027-01-06T00:00:00+02:00")  // daemon_started and one read
        #expect(!result.dryRun)
        let purged = try #require(rig.events(.logPurged).last)
        #expect(purged.record.actor == "auditor-admin")
        await #expect(throws: ControlError.self) {
            try await rig.send(AuditPurgeCommand(before: "2099-01-01"))
        }
        await #expect(throws: ControlError.self) {
            try await rig.send(AuditPurgeCommand(before: "2027-01-01", force: true), as: .audit)
        }
    }

    @Test("events.follow streams the history in pages, then stops when the client goes away")
    func follow() async throws {
        // The history goes into the store before the daemon starts: 1,020 awaited hops onto the loop took most of
        // the test's time limit when the whole suite ran beside it on two cores.
        let rig = try await DaemonRig(seed: { store in
            _ = try store.append(
                (0..<(EventFollower.pageSize + 20)).map {
                    EventRecord(
                        time: Date(timeIntervalSince1970: 1_796_000_000), kind: .readerAttached, reader: "entry",
                        details: "\($0)", clockTrusted: true)
                })
        })
        var seen: [Int64] = []
        EventFollower(store: rig.store).follow(after: 0) { item in
            guard case .event(let event) = item, let seq = event["seq"]?.intValue else { return false }
            seen.append(seq)
            return seen.count < EventFollower.pageSize + 10
        }
        #expect(seen == Array(1...Int64(EventFollower.pageSize + 10)))
    }

    @Test("events.follow honours the filters of events: only matching events, with the holder's name")
    func followFiltered() async throws {
        let rig = try await DaemonRig()
        for i in 0..<3 {
            await rig.daemon.handle(.reader("entry", .attached("\(i)")))
            await rig.badge("9999000\(i)")  // unknown badges
        }
        var seen: [JSONValue] = []
        let filter = EventFilter(reason: .unknownBadge)
        EventFollower(store: rig.store).follow(after: 0, filter: filter) { item in
            guard case .event(let event) = item else { return false }
            seen.append(event)
            return seen.count < 3
        }
        #expect(seen.count == 3 && seen.allSatisfy { $0["reason"] == .string("unknown_badge") })
        #expect(seen.allSatisfy { $0["holder_name"] == .null })
        let routed = try await rig.send(EventsListCommand(reason: "unknown_badge", tail: 2))
        #expect(routed.items.map { $0["seq"] } == seen.suffix(2).map { $0["seq"] })
    }
}

@Suite("Control socket admission: nobody can lock staff out")
struct ControlAdmissionTests {
    @Test("callers in no group get 4 slots, one non-admin uid 8, non-admins 24 in all; staff get the rest")
    func slots() {
        var admission = ControlAdmission()
        let nobody = (0..<32).filter { _ in admission.admit(uid: 65_534, role: .none) == nil }.count
        #expect(nobody == 4)
        let auditor = (0..<32).filter { _ in admission.admit(uid: 1000, role: .audit) == nil }.count
        #expect(auditor == 8)
        var others = 0
        for uid in 2000..<2020 where admission.admit(uid: uid_t(uid), role: .audit) == nil { others += 1 }
        #expect(4 + 8 + others == 24, "non-admin callers hold \(4 + 8 + others) slots")
        let staff = (0..<32).filter { _ in admission.admit(uid: 0, role: .admin) == nil }.count
        #expect(staff == 8)
        #expect(admission.admit(uid: 0, role: .admin)?.contains("32 connections") == true)
        admission.release(uid: 65_534, role: .none)
        #expect(admission.admit(uid: 0, role: .admin) == nil, "a released slot is free again")
        #expect(admission.admit(uid: 65_534, role: .none) != nil, "the staff took it; non-admins stay at 24")
    }
}
