import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import LabDoorTestKit
import Testing

@testable import LabDoorDaemon

@Suite("The decision loop over fakes: badges, door, log", .timeLimit(.minutes(1)))
struct DecisionLoopTests {
    static let staffBadge = "1000000003"
    static let visitorBadge = "1000000001"

    /// A staff holder with a badge, and a visitor registered for Tuesday 5 January 2027.
    static func seedLab(_ store: InMemoryStore) throws {
        let staff = store.seedHolder(name: "Sanna Staff", profile: "staff")
        try store.seedBadge(staffBadge, holder: staff)
        let visitor = store.seedHolder(name: "Aino Visitor", profile: "visitor")
        try store.seedBadge(visitorBadge, holder: visitor)
        store.seedRegistration(
            holder: visitor, from: Fixtures.at("2027-01-05 00:00"), until: Fixtures.at("2027-01-06 00:00"))
    }

    @Test("a grant is committed before the relay unlocks, then relocks after unlock_seconds")
    func grantCommitsBeforeTheRelay() async throws {
        let rig = try await DaemonRig(seed: Self.seedLab)
        rig.timeline.clear()
        await rig.badge(Self.staffBadge)
        let entries = rig.timeline.all
        let commit = try #require(
            entries.firstIndex { if case .committed(let kinds) = $0 { kinds.contains(.badgeDecision) } else { false } })
        let unlock = try #require(entries.firstIndex(of: .relay(unlocked: true, cause: "granted")))
        #expect(commit < unlock, "\(entries)")
        #expect(entries[commit] == .committed([.badgeDecision, .doorUnlocked]))
        #expect(entries.contains(.signal(.granted)) && entries.contains(.readerShowed("entry", .granted)))
        #expect(rig.lastDecision?.reason == .granted && rig.lastDecision?.holderID == HolderID(rawValue: 1))

        await rig.advance(.seconds(4))
        #expect(rig.door.isUnlocked)
        await rig.advance(.seconds(1))
        #expect(!rig.door.isUnlocked)
        #expect(rig.timeline.relays == [true, false])
        #expect(rig.events(.doorRelocked).count == 1)
    }

    @Test(
        "each denial reason: shown at the door first, committed right after, the relay never moves",
        arguments: [
            ReasonCode.unknownBadge, .badgeRevoked, .holderSuspended, .noRegistration, .registrationNotStarted,
            .registrationExpired, .outsideOpeningHours, .closedHoliday, .closedClosure, .lockdown, .clockUntrusted,
            .rateLimited,
        ])
    func denial(_ reason: ReasonCode) async throws {
        var at = DaemonRig.tuesdayMorning
        var synchronised = true
        switch reason {
        case .outsideOpeningHours: at = Fixtures.at("2027-01-05 20:00")
        case .closedHoliday: at = Fixtures.at("2027-01-06 10:00")  // Epiphany
        case .clockUntrusted: synchronised = false
        default: break
        }
        let rig = try await DaemonRig(
            at: at, synchronised: synchronised,
            seed: { store in
                let visitor = store.seedHolder(profile: "visitor", suspended: reason == .holderSuspended)
                if reason != .unknownBadge {
                    try store.seedBadge(Self.visitorBadge, holder: visitor, revoked: reason == .badgeRevoked)
                }
                let window: (from: String, until: String)? =
                    switch reason {
                    case .noRegistration: nil
                    case .registrationNotStarted: ("2027-01-10 00:00", "2027-01-11 00:00")
                    case .registrationExpired: ("2027-01-01 00:00", "2027-01-04 00:00")
                    default: ("2027-01-01 00:00", "2027-02-01 00:00")
                    }
                if let window {
                    store.seedRegistration(
                        holder: visitor, from: Fixtures.at(window.from), until: Fixtures.at(window.until))
                }
                if reason == .closedClosure {
                    let day = Fixtures.date("2027-01-05")
                    store.seedOverride(
                        CalendarOverride(firstDay: day, lastDay: day, kind: .closed(reason: "staff day")))
                }
            })
        if reason == .lockdown { _ = try await rig.send(DoorLockdownCommand(on: true)) }
        if reason == .rateLimited {
            for i in 0..<6 { await rig.badge("99990000\(i)0") }
            #expect(rig.events(.readerLockedOut).count == 1)
        }
        rig.timeline.clear()
        await rig.badge(Self.visitorBadge)
        #expect(rig.lastDecision?.reason == reason, "\(rig.lastDecision?.details ?? "")")
        #expect(rig.lastDecision?.outcome == .denied)
        let entries = rig.timeline.all
        let shown = try #require(entries.firstIndex(of: .signal(reason)))
        let committed = try #require(
            entries.firstIndex { if case .committed(let kinds) = $0 { kinds.contains(.badgeDecision) } else { false } })
        #expect(shown < committed, "\(entries)")
        #expect(rig.timeline.relays.isEmpty)
        #expect(!rig.door.isUnlocked)
    }

    @Test("more than five denials in a minute lock the reader for 60 s, the next lockout lasts 120 s")
    func lockoutDoubles() async throws {
        let rig = try await DaemonRig()
        for i in 0..<6 { await rig.badge("5555000\(i)00") }
        let first = try #require(rig.events(.readerLockedOut).first)
        #expect(first.record.details?.contains("refused for 60 s") == true, "\(first.record.details ?? "")")
        #expect(rig.alarms.events.map(\.kind).contains(.readerLockedOut))
        // status says until when (site zone, with the offset): 60 s after the lockout began.
        let locked = try await rig.send(StatusCommand())
        let until = try #require(locked.readers.first { $0.name == "entry" }?.lockedOutUntil)
        let zone = await rig.daemon.config.zone
        #expect(until == zone.iso(first.record.time.addingTimeInterval(60)), "\(until)")
        await rig.badge("5555999900")
        #expect(rig.lastDecision?.reason == .rateLimited)
        await rig.advance(.seconds(59))
        await rig.badge("5555999901")
        #expect(rig.lastDecision?.reason == .rateLimited)
        await rig.advance(.seconds(2))
        #expect(try await rig.send(StatusCommand()).readers.allSatisfy { $0.lockedOutUntil == nil })
        for i in 0..<6 { await rig.badge("6666000\(i)00") }
        let lockouts = rig.events(.readerLockedOut)
        #expect(lockouts.count == 2)
        #expect(lockouts.last?.record.details?.contains("refused for 120 s") == true)
    }

    @Test("a hold-open ends by itself at its time, relocks, and the stored mode is normal again")
    func holdOpenEndsByItself() async throws {
        let rig = try await DaemonRig()
        let status = try await rig.send(DoorHoldOpenCommand(until: "2027-01-05T10:30"))
        #expect(status.mode == "hold_open" && status.relay == "unlocked")
        #expect(try rig.store.doorMode() == .holdOpen(until: Fixtures.at("2027-01-05 10:30")))
        await rig.advance(.seconds(29 * 60))
        #expect(rig.door.isUnlocked)
        await rig.advance(.seconds(61))
        #expect(!rig.door.isUnlocked)
        #expect(try rig.store.doorMode() == .normal)
        let admin = rig.events(.adminChange).map(\.record)
        #expect(admin.map(\.actor) == ["kaisa", "labdoord"])
        #expect(try await rig.send(DoorStatusCommand()).mode == "normal")
    }

    @Test("lockdown refuses a registered visitor and lets staff (lockdown_override) in; release ends it")
    func lockdown() async throws {
        let rig = try await DaemonRig(seed: Self.seedLab)
        _ = try await rig.send(DoorLockdownCommand(on: true))
        #expect(try rig.store.doorMode() == .lockdown)
        await rig.badge(Self.visitorBadge)
        #expect(rig.lastDecision?.reason == .lockdown)
        await rig.badge(Self.staffBadge)
        #expect(rig.lastDecision?.reason == .granted)
        _ = try await rig.send(DoorReleaseCommand())
        await rig.badge(Self.visitorBadge)
        #expect(rig.lastDecision?.reason == .granted)
    }

    @Test("with the log failing the door still opens (relay first), and the buffered events are written in order")
    func degradedLogBuffersAndReplays() async throws {
        let rig = try await DaemonRig(seed: Self.seedLab)
        let before = rig.store.logged.count
        rig.store.setFailure(.diskFull(path: "/var/lib/labdoor/labdoor.db"))
        rig.timeline.clear()
        await rig.badge(Self.staffBadge)
        #expect(rig.door.isUnlocked)
        #expect(rig.alarms.events.map(\.kind) == [.logDegraded])
        await rig.advance(.seconds(5))
        rig.timeline.clear()
        await rig.badge(Self.staffBadge)  // degraded now: the relay goes first
        #expect(rig.timeline.all.first == .relay(unlocked: true, cause: "granted"))
        #expect(rig.store.logged.count == before)
        let status = try await rig.send(StatusCommand())
        #expect(status.log.degraded && status.log.pending > 0)

        rig.store.setFailure(nil)
        await rig.tick()
        let written = rig.store.logged.dropFirst(before).map(\.record)
        #expect(
            written.map(\.kind) == [
                .badgeDecision, .doorUnlocked, .logDegraded, .doorRelocked, .badgeDecision, .doorUnlocked, .logDegraded,
            ], "\(written.map(\.kind))")
        #expect(written[2].details?.contains("failing") == true && written.last?.details?.contains("recovered") == true)
        #expect(try await rig.send(StatusCommand()).log.degraded == false)
    }

    @Test("a change while the log is failing is refused and nothing of it is kept; it works once the disk does")
    func changeWhileDegraded() async throws {
        let rig = try await DaemonRig()
        rig.store.setFailure(.diskFull(path: "labdoor.db"))
        await #expect(throws: ControlError.self) {
            try await rig.send(HolderAddCommand(name: "Ville", profile: "member"))
        }
        #expect(try rig.store.holders().isEmpty)
        rig.store.setFailure(nil)
        let holder = try await rig.send(HolderAddCommand(name: "Ville", profile: "member"))
        #expect(holder.id == 1)
        #expect(rig.events(.adminChange).count == 1)
    }

    @Test("a reload applies a changed file, and keeps the running configuration when the file is broken")
    func reload() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("labdoor-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("labdoor.toml").path
        let rig = try await DaemonRig(configPath: path, seed: Self.seedLab)

        try "[door]\nunlock_seconds = 9\n".write(toFile: path, atomically: true, encoding: .utf8)
        await rig.daemon.handle(.reload(ConfigReload.read(path)))
        let loaded = try #require(rig.events(.configReloaded).last?.record.details)
        #expect(loaded.contains(#""ok":true"#) && loaded.contains(#""restart_needed":["[[reader]]"]"#), "\(loaded)")
        await rig.badge(Self.staffBadge)
        await rig.advance(.seconds(8))
        #expect(rig.door.isUnlocked)
        await rig.advance(.seconds(1))
        #expect(!rig.door.isUnlocked)

        try "[door]\nunlock_seconds = \"soon\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        await rig.daemon.handle(.reload(ConfigReload.read(path)))
        let failed = try #require(rig.events(.configReloaded).last?.record.details)
        #expect(failed.contains(#""ok":false"#) && failed.contains("unlock_seconds"), "\(failed)")
        #expect(await rig.daemon.config.door.unlockSeconds == 9)
    }

    @Test("a wall-clock step and a loss of synchronisation are logged; the monotonic lockout is unaffected")
    func clockStep() async throws {
        let rig = try await DaemonRig()
        await rig.tick()
        rig.clock.stepWallClock(by: 3600)
        await rig.tick()
        let steps = rig.events(.clockStep).map { $0.record.details ?? "" }
        #expect(steps == ["the wall clock stepped by 3600 s"])
        rig.clock.setSynchronised(false)
        await rig.tick()
        #expect(rig.events(.clockStep).last?.record.details?.contains("no longer synchronised") == true)
        #expect(rig.events(.clockStep).last?.record.clockTrusted == false)
    }

    @Test("a staff action is logged exactly once: door lock during a hold-open is one admin_change")
    func adminChangeOnce() async throws {
        let rig = try await DaemonRig()
        _ = try await rig.send(DoorHoldOpenCommand(until: "2027-01-05T18:00"))
        let before = rig.events(.adminChange).count
        let status = try await rig.send(DoorLockCommand(), user: "mikko")
        #expect(status.relay == "locked" && status.mode == "normal")
        let admin = rig.events(.adminChange).dropFirst(before)
        #expect(admin.count == 1)
        #expect(admin.first?.record.actor == "mikko")
        #expect(try rig.store.doorMode() == .normal)

        _ = try await rig.send(DoorUnlockCommand(seconds: 60))
        _ = try await rig.send(DoorLockCommand())
        #expect(rig.events(.adminChange).count == before + 3)
    }

    @Test("the scripted reader's reads reach the loop through the input stream in order")
    func readsThroughTheStream() async throws {
        let rig = try await DaemonRig(seed: Self.seedLab)
        let (inputs, continuation) = AsyncStream.makeStream(of: DaemonInput.self)
        try rig.reader.start { name, input in continuation.yield(.reader(name, input)) }
        rig.reader.present(.attached("scripted"), on: "entry")
        rig.reader.present(.read(Self.visitorBadge), on: "entry")
        rig.reader.present(.rejected("typed at human speed"), on: "entry")
        continuation.finish()
        await rig.daemon.run(inputs)
        let kinds = rig.store.logged.map(\.record.kind).filter { $0 != .daemonStarted }
        #expect(kinds == [.readerAttached, .badgeDecision, .doorUnlocked, .readerInputRejected], "\(kinds)")
        let status = try await rig.send(StatusCommand(), as: .audit)
        #expect(status.readers.map(\.state) == ["attached"])
    }
}
