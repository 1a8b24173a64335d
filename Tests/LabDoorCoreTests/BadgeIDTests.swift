import LabDoorCore
import Testing

@Suite("Badge numbers")
struct BadgeIDTests {
    @Test(
        "normalisation",
        arguments: [
            ("0012345678", "0012345678"), (" 04:a2:3f:1b\n", "04A23F1B"), ("ab-cd-ef-01", "ABCDEF01"),
            ("1234", "1234"),
        ])
    func normalises(input: String, expected: String) throws {
        #expect(try BadgeID(parsing: input).normalised == expected)
    }

    @Test("what is not a badge number is rejected with the reason")
    func rejects() {
        #expect(throws: BadgeID.ParseError.invalidCharacter("G", position: 2)) { try BadgeID(parsing: "12G4") }
        #expect(throws: BadgeID.ParseError.invalidLength(3)) { try BadgeID(parsing: "123") }
        #expect(throws: BadgeID.ParseError.invalidLength(33)) {
            try BadgeID(parsing: String(repeating: "1", count: 33))
        }
        #expect(throws: BadgeID.ParseError.empty) { try BadgeID(parsing: " :: ") }
        #expect(throws: BadgeID.ParseError.invalidCharacter("٣", position: 0)) { try BadgeID(parsing: "٣٣٣٣") }
    }

    @Test("the display suffix is the last four characters")
    func lastFour() throws {
        #expect(try BadgeID(parsing: "0012345678").lastFour == "5678")
    }
}
