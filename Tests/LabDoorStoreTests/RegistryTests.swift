import Foundation
import GRDB
import LabDoorCore
import Testing

@testable import LabDoorStore

@Suite("The registry: pages, removal and erasure, imports, stored weekday hours")
struct RegistryTests {
    let context = ChangeContext(actor: "kaisa", now: StoreFixture.start, clockTrusted: true)

    func row(_ line: Int, _ email: String, _ from: Double, _ until: Double, name: String = "Name") -> ImportRow {
        ImportRow(
            line: line, email: email, name: name, organisation: nil,
            from: StoreFixture.start.addingTimeInterval(from * 86_400),
            until: StoreFixture.start.addingTimeInterval(until * 86_400))
    }

    @Test("listings page by id with filters; a page never holds more than asked")
    func pages() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        for i in 1...25 {
            _ = try f.store.addHolder(
                name: "Holder \(i)%", profile: i % 5 == 0 ? "staff" : "visitor", email: "h\(i)@x.fi", context)
        }
        _ = try f.store.apply(.setSuspended(HolderID(rawValue: 3), true), context)
        let first = try f.store.holders(HolderQuery(limit: 10))
        let second = try f.store.holders(HolderQuery(after: first.last?.id, limit: 10))
        #expect(first.map(\.id.rawValue) == Array(1...10) && second.map(\.id.rawValue) == Array(11...20))
        #expect(try f.store.holders(HolderQuery(profile: "staff")).map(\.id.rawValue) == [5, 10, 15, 20, 25])
        #expect(try f.store.holders(HolderQuery(suspended: true)).map(\.id.rawValue) == [3])
        // LIKE's wildcards in the search text are literal.
        #expect(try f.store.holders(HolderQuery(search: "1%")).map(\.id.rawValue) == [1, 11, 21])
        #expect(try f.store.holders(HolderQuery(search: "H2@X")).map(\.id.rawValue) == [2])
        #expect(try f.store.holders(HolderQuery(limit: 5000)).count == 25)  // at most a page
        #expect(LabDoorStore.pageSize(5000) == LabDoorStore.maximumPage)
    }

    @Test("remove keeps the holder (revoked, unlisted); erase deletes every trace but the id, and the log verifies")
    func removeAndErase() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let kept = try f.store.addHolder(name: "Kalle", profile: "staff", context)
        let gone = try f.store.addHolder(name: "Eeva Erased", profile: "staff", email: "eeva@x.fi", context)
        let badge = try f.store.assignBadge(try BadgeID(parsing: "EEEE0001"), to: gone.id, context)
        _ = try f.store.addRegistration(
            holder: gone.id, from: StoreFixture.start, until: StoreFixture.start.addingTimeInterval(3600), context)
        guard case .removal(let removal) = try f.store.apply(.removeHolder(kept.id), context).result else {
            Issue.record("no removal")
            return
        }
        #expect(removal.badges == 0 && !removal.erased)
        #expect(try f.store.holders().map(\.id) == [gone.id])
        #expect(try f.store.holder(kept.id)?.removedAt == StoreFixture.start)
        #expect(throws: StoreError.self) { try f.store.apply(.setSuspended(kept.id, true), context) }
        guard case .removal(let erasure) = try f.store.apply(.eraseHolder(gone.id), context).result else {
            Issue.record("no erasure")
            return
        }
        #expect(erasure.erased && erasure.badges == 1 && erasure.registrations == 1)
        #expect(try f.store.holder(gone.id) == nil && f.store.credential(for: badge.fingerprint) == nil)
        #expect(try f.store.holderNames([kept.id, gone.id]) == [kept.id: "Kalle"])
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: f.dbPath + "-wal"))) ?? Data()
        #expect(wal.isEmpty)  // truncated after the erasure
        let file = try Data(contentsOf: URL(fileURLWithPath: f.dbPath))
        #expect(file.range(of: Data("Eeva Erased".utf8)) == nil && file.range(of: Data("eeva@x.fi".utf8)) == nil)
        #expect(try f.problem() == nil)
    }

    @Test("import: e-mails matched case-insensitively (not removed holders), duplicates skipped, overlaps kept")
    func importPlan() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let aino = try f.store.addHolder(name: "Aino", profile: "member", email: "Aino@VM.fi", context)
        let old = try f.store.addHolder(name: "Old", profile: "visitor", email: "old@vm.fi", context)
        _ = try f.store.apply(.removeHolder(old.id), context)
        _ = try f.store.addRegistration(
            holder: aino.id, from: StoreFixture.start, until: StoreFixture.start.addingTimeInterval(86_400), context)
        let rows = [
            row(2, "aino@vm.fi", 0, 1),  // identical to the existing one
            row(3, "AINO@vm.fi", 0.5, 2),  // overlaps it
            row(4, "old@vm.fi", 3, 4),  // the removed holder's e-mail: a new holder
            row(5, "new@vm.fi", 3, 4),
            row(6, "new@vm.fi", 3, 4),  // identical to line 5
            row(7, "new@vm.fi", 3.5, 5),  // overlaps line 5
        ]
        let planned = try f.store.planImport(rows)
        let plan = planned.report
        #expect(plan.dryRun && plan.added == 4 && plan.duplicateLines == [2, 6])
        #expect(
            plan.newHolders.map(\.email) == ["old@vm.fi", "new@vm.fi"] && plan.newHolders.allSatisfy { $0.id == nil })
        #expect(
            plan.overlaps.map(\.line) == [3, 7] && plan.overlaps[0].registration == 1 && plan.overlaps[1].otherLine == 5
        )
        #expect(try f.store.holders().count == 1)  // a dry run changes nothing
        guard case .imported(let report) = try f.store.apply(.importRegistrations(planned), context).result else {
            Issue.record("no import")
            return
        }
        #expect(report.added == plan.added && report.duplicateLines == plan.duplicateLines)
        #expect(report.overlaps.map(\.line) == plan.overlaps.map(\.line))
        #expect(report.newHolders.compactMap(\.id?.rawValue) == [3, 4])
        #expect(try f.store.holder(HolderID(rawValue: 3))?.profile == "visitor")
        #expect(try f.store.registrations().count == 5)
        // The same file again adds nothing.
        // The same plan again (made before the import) is planned again inside the transaction: it adds nothing.
        guard case .imported(let again) = try f.store.apply(.importRegistrations(planned), context).result else {
            Issue.record("no second import")
            return
        }
        #expect(again.added == 0 && again.duplicateLines == [2, 3, 4, 5, 6, 7] && again.newHolders.isEmpty)
        #expect(try f.problem() == nil)
    }

    @Test("a plan made before another change is planned again when applied: nothing duplicated, e-mails matched")
    func stalePlan() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let rows = [row(2, "new@vm.fi", 0, 1), row(3, "other@vm.fi", 0, 1)]
        let planned = try f.store.planImport(rows)
        #expect(planned.report.newHolders.count == 2)
        // Meanwhile staff add the first person by hand, with that very registration.
        let added = try f.store.addHolder(name: "New", profile: "member", email: "NEW@vm.fi", context)
        _ = try f.store.addRegistration(
            holder: added.id, from: StoreFixture.start, until: StoreFixture.start.addingTimeInterval(86_400), context)
        guard case .imported(let report) = try f.store.apply(.importRegistrations(planned), context).result else {
            Issue.record("no import")
            return
        }
        #expect(report.duplicateLines == [2] && report.added == 1)
        #expect(report.newHolders.map(\.email) == ["other@vm.fi"])
        #expect(try f.store.holders().count == 2 && f.store.registrations().count == 2)
        // Applied as planned when nothing came in between: the report is the plan's, with ids.
        let next = try f.store.planImport([row(4, "third@vm.fi", 2, 3)])
        guard case .imported(let third) = try f.store.apply(.importRegistrations(next), context).result else {
            Issue.record("no third import")
            return
        }
        #expect(third.newHolders.map(\.id) == [HolderID(rawValue: 3)] && !third.dryRun)
        #expect(try f.problem() == nil)
    }

    @Test("an import fails as a whole: a row that breaks a constraint leaves nothing behind")
    func importAtomic() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let before = try f.store.events().count
        // The second row's name is empty: the holder table refuses it, inside the transaction.
        let rows = [row(2, "a@x.fi", 0, 1), row(3, "b@x.fi", 0, 1, name: " ")]
        #expect(throws: StoreError.self) {
            try f.store.apply(.importRegistrations(try f.store.planImport(rows)), context)
        }
        #expect(try f.store.holders().isEmpty && f.store.registrations().isEmpty)
        #expect(try f.store.events().count == before)
    }

    @Test("hours set stores a weekday (with who and when), reset drops one or all")
    func weekdayHours() throws {
        let f = try StoreFixture()
        defer { f.cleanUp() }
        let morning = try #require(OpeningInterval(parsing: "08:00-12:00"))
        _ = try f.store.apply(.setWeekdayHours(.friday, [morning]), context)
        _ = try f.store.apply(.setWeekdayHours(.saturday, []), context)
        let stored = try f.store.weekdayHours()
        #expect(stored.map(\.weekday) == [.friday, .saturday] && stored[0].intervals == [morning])
        #expect(stored[0].setBy == "kaisa" && stored[0].setAt == StoreFixture.start)
        #expect(WeeklyHours.labDefault.overridden(by: stored)[.friday] == [morning])
        _ = try f.store.apply(.resetWeekdayHours(.friday), context)
        #expect(try f.store.weekdayHours().map(\.weekday) == [.saturday])
        _ = try f.store.apply(.resetWeekdayHours(nil), context)
        #expect(try f.store.weekdayHours().isEmpty)
    }
}
