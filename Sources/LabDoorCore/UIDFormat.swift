// The badge number of a contactless card: its UID written the way a given reader writes it (issue #16).

/// How a reader turns a card's UID into the badge number, so that a card enrolled on a keyboard-wedge reader
/// (which may print the UID in decimal, and byte-reversed) gives the same number on an NFC reader.
public enum UIDFormat: String, CaseIterable, Sendable {
    /// Upper-case hex, bytes in the order the card sends them (`04A23F1B`).
    case hex
    /// Upper-case hex, bytes reversed (`1B3FA204`).
    case hexReversed = "hex-reversed"
    /// The bytes as one big-endian unsigned number, in decimal, without leading zeros (`77741851`).
    case decimal
    /// The bytes reversed, then as `decimal` (`457155076`: what many wedge readers print for a 4-byte UID).
    case decimalReversed = "decimal-reversed"

    /// The badge number for `uid`.
    public func badgeNumber(_ uid: [UInt8]) -> String {
        let bytes = self == .hexReversed || self == .decimalReversed ? uid.reversed() : uid
        switch self {
        case .hex, .hexReversed:
            let digits = Array("0123456789ABCDEF".utf8)
            return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
        case .decimal, .decimalReversed:
            return Self.decimal(bytes)
        }
    }

    /// A big-endian unsigned number of any length in decimal (a 10-byte UID exceeds 64 bits).
    private static func decimal(_ bytes: [UInt8]) -> String {
        var number = Array(bytes.drop { $0 == 0 })
        guard !number.isEmpty else { return "0" }
        var digits: [UInt8] = []
        while !number.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            for byte in number {
                let value = remainder * 256 + Int(byte)
                let q = value / 10
                remainder = value % 10
                if !quotient.isEmpty || q > 0 { quotient.append(UInt8(q)) }
            }
            digits.append(UInt8(ascii: "0") + UInt8(remainder))
            number = quotient
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}
