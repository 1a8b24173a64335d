import Foundation
import LabDoorConfig
import LabDoorCore
import LabDoorProtocol
import Logging

/// A reader waiting to take its next read as a holder's new badge (`badge assign --from-reader`): how staff
/// enrol a card whose number is printed nowhere.
struct Enrolment: Sendable {
    /// Whose badge it becomes.
    let holder: HolderID
    /// Who asked (the change is theirs).
    let actor: String
    /// When the wait ends (monotonic).
    let deadline: MonotonicInstant
    /// The request's token, so that only its own client can cancel it.
    let token: UInt64
    /// The answer to the waiting client.
    let reply: @Sendable (Result<BadgeInfo, ControlError>) -> Void
}

/// `badge.enrol` on the decision loop.
enum EnrolmentHandlers {
    /// How long the client waits: the enrolment's timeout and a margin for the commit.
    static func patience(_ command: BadgeEnrolCommand) -> Duration {
        .seconds(min(max(command.timeout ?? BadgeEnrolCommand.defaultTimeout, 1), BadgeEnrolCommand.maximumTimeout) + 5)
    }

    /// Arms the reader: its next read is this holder's badge.
    static func enrol(
        _ command: BadgeEnrolCommand, _ caller: Caller, _ daemon: isolated DoorDaemon, _ token: UInt64,
        _ reply: @escaping @Sendable (Result<BadgeInfo, ControlError>) -> Void
    ) throws(ControlError) {
        let seconds = command.timeout ?? BadgeEnrolCommand.defaultTimeout
        guard (1...BadgeEnrolCommand.maximumTimeout).contains(seconds) else {
            throw ControlError(
                .badRequest, "timeout must be 1 to \(BadgeEnrolCommand.maximumTimeout) s, not \(seconds) s")
        }
        guard daemon.config.readers.contains(where: { $0.name == command.reader }) else {
            throw ControlError(
                .badRequest,
                "no reader \(command.reader) is configured; configured: \(daemon.config.readers.map(\.name).joined(separator: ", "))"
            )
        }
        let holder = HolderID(rawValue: command.holder)
        let found = try refused { () throws(StoreError) in try daemon.ports.store.holder(holder) }
        guard let found, found.removedAt == nil else {
            throw ControlError(.refused, "holder \(holder) \(found == nil ? "does not exist" : "was removed")")
        }
        if let waiting = daemon.enrolments[command.reader] {
            throw ControlError(
                .refused,
                "reader \(command.reader) is already waiting to enrol a badge for holder \(waiting.holder) (asked by \(waiting.actor)); wait for that to finish"
            )
        }
        daemon.enrolments[command.reader] = Enrolment(
            holder: holder, actor: caller.user, deadline: daemon.ports.clock.monotonicNow() + .seconds(seconds),
            token: token, reply: reply)
        daemon.logger.notice(
            "waiting for a badge to enrol",
            metadata: ["reader": "\(command.reader)", "holder.id": "\(holder)", "actor": "\(caller.user)"])
    }

    /// The client went away: the reader decides badges again.
    static func abandon(_ command: BadgeEnrolCommand, _ daemon: isolated DoorDaemon, _ token: UInt64) {
        guard daemon.enrolments[command.reader]?.token == token else { return }
        daemon.enrolments[command.reader] = nil
        daemon.logger.notice("enrolment cancelled by its client", metadata: ["reader": "\(command.reader)"])
    }
}

extension DoorDaemon {
    /// Takes `badge`, read on `reader`, as the waiting enrolment's badge: assigns it (the `admin_change` is the
    /// asker's) after a `badge_enrolled` event in the same transaction. The door is not touched. A refusal (the
    /// badge is someone else's) is logged as `badge_enrolment_failed` and told to the asker.
    func enrol(_ badge: BadgeID, _ enrolment: Enrolment, reader: String, now: Date, trusted: Bool) {
        let fingerprint: BadgeFingerprint
        do {
            fingerprint = try ports.store.fingerprint(of: badge)
        } catch {
            enrolment.reply(.failure(ControlError(.refused, error.description)))
            return
        }
        let enrolled = EventRecord(
            time: now, kind: .badgeEnrolled, reader: reader, badge: fingerprint, holderID: enrolment.holder,
            actor: enrolment.actor, clockTrusted: trusted)
        do throws(StoreError) {
            guard
                case .badge(let assigned) = try apply(
                    .assignBadge(badge, holder: enrolment.holder), actor: enrolment.actor, with: [enrolled])
            else { throw StoreError.invalid("the store assigned no badge") }
            logger.notice(
                "badge enrolled",
                metadata: [
                    "reader": "\(reader)", "holder.id": "\(enrolment.holder)", "badge.last4": "\(badge.lastFour)",
                ])
            enrolment.reply(.success(BadgeInfo(assigned, zone: config.zone)))
        } catch {
            write(
                [
                    EventRecord(
                        time: now, kind: .badgeEnrolmentFailed, reader: reader, badge: fingerprint,
                        holderID: enrolment.holder, actor: enrolment.actor, details: error.description,
                        clockTrusted: trusted)
                ], now: now)
            enrolment.reply(
                .failure(ControlError(.refused, "the badge read on \(reader) was not enrolled: \(error.description)")))
        }
    }

    /// Ends the enrolments whose time is up (every tick), telling their clients.
    func expireEnrolments(monotonic: MonotonicInstant) {
        for (reader, enrolment) in enrolments where enrolment.deadline <= monotonic {
            enrolments[reader] = nil
            enrolment.reply(
                .failure(
                    ControlError(
                        .refused,
                        "no badge was read on \(reader) in time; nothing changed. Run the command again and present the card within the timeout"
                    )))
        }
    }

    /// Ends every enrolment (the daemon is stopping).
    func cancelEnrolments() {
        for enrolment in enrolments.values {
            enrolment.reply(.failure(ControlError(.stopping, "labdoord is stopping; nothing was enrolled")))
        }
        enrolments = [:]
    }
}
