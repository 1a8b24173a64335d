import LabDoorCore
import Testing

@Suite("Badge numbers")
struct BadgeIDTests {
    @Test(
        "normalisation",
        arguments: [
            ("0012345678", "0012345678"), (" 04:a2:3f:1b\n", "04A23F1B"), ("ab-cd-ef-01", "ABCDEF01"),
            ("1234", "1234"), ("\t\r\n 1234 5678 \r\n", "12345678"),
            // Unicode spaces at the ends take the Character path, with the same result.
            ("\u{00A0}1234 5678\u{2028}", "12345678"),
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
        // A tab or line break inside the number is not trimmed: the same error as the Character path gives.
        #expect(throws: BadgeID.ParseError.invalidCharacter("\t", position: 2)) { try BadgeID(parsing: " 12\t34") }
        #expect(throws: BadgeID.ParseError.invalidCharacter("\n", position: 4)) { try BadgeID(parsing: "1234\n5678") }
        #expect(throws: BadgeID.ParseError.invalidCharacter("é", position: 4)) { try BadgeID(parsing: "1234é") }
    }

    @Test("the display suffix is the last four characters")
    func lastFour() throws {
        #expect(try BadgeID(parsing: "0012345678").lastFour == "5678")
    }
}
