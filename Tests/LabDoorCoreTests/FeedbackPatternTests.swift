import LabDoorCore
import Testing

@Suite("Feedback at the door: a pattern per family of reasons")
struct FeedbackPatternTests {
    @Test("every reason has a family, and the families are told apart by light and pulses")
    func families() {
        for reason in ReasonCode.allCases {
            let pattern = FeedbackPattern.forReason(reason)
            #expect((pattern.light == .green) == reason.isGranted, "\(reason)")
        }
        let patterns = FeedbackPattern.Family.allCases.map(\.pattern)
        #expect(Set(patterns.map { "\($0.light)\($0.pulses)" }).count == patterns.count)
        #expect(
            FeedbackPattern.forReason(.unknownBadge).pulses == 1
                && FeedbackPattern.forReason(.unknownBadge).on > .seconds(1))
        #expect(FeedbackPattern.forReason(.registrationExpired).pulses == 2)
        #expect(FeedbackPattern.forReason(.closedHoliday).pulses == 3)
        #expect(FeedbackPattern.forReason(.rateLimited).pulses == 4)
        #expect(FeedbackPattern.Family.allCases.allSatisfy { $0.pattern.duration <= .seconds(2) })
    }

    @Test("the sign has one line per family")
    func sign() {
        let lines = FeedbackPattern.sign.split(separator: "\n")
        #expect(lines.count == FeedbackPattern.Family.allCases.count)
        #expect(lines.first?.hasPrefix("green") == true && lines.contains { $0.contains("see the staff") })
    }
}
