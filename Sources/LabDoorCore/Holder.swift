public import Foundation

/// A badge holder's identifier in the store.
public struct HolderID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The store's row id.
    public let rawValue: Int64
    /// Wraps a row id.
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// The decimal id.
    public var description: String { String(rawValue) }
    /// Orders by id.
    public static func < (lhs: HolderID, rhs: HolderID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A person who may hold badges.
public struct Holder: Hashable, Sendable {
    /// The store's id.
    public var id: HolderID
    /// Display name.
    public var name: String
    /// The access profile's name (`visitor`, `member`, `staff`, or a configured one).
    public var profile: String
    /// Organisation, optional.
    public var organisation: String?
    /// E-mail, optional.
    public var email: String?
    /// A suspended holder is never granted.
    public var suspended: Bool
    /// When the holder was added (nil when not known).
    public var createdAt: Date?
    /// When staff removed the holder (kept for the log's sake, never granted); nil while active.
    public var removedAt: Date?

    /// Creates a holder.
    public init(
        id: HolderID, name: String, profile: String, organisation: String? = nil, email: String? = nil,
        suspended: Bool = false, createdAt: Date? = nil, removedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.profile = profile
        self.organisation = organisation
        self.email = email
        self.suspended = suspended
        self.createdAt = createdAt
        self.removedAt = removedAt
    }
}

/// A badge number as a reader delivers it or staff type it, normalised. It exists only in memory: the store
/// keeps a keyed fingerprint of it and its last four characters, never the number itself.
///
/// Normalisation: surrounding white space is removed, as are the separators space, `:` and `-` (so a UID typed
/// as `04:A2:3F:1B` matches the reader's `04A23F1B`); letters become upper case; what remains must be 4–32
/// characters of `0-9A-F`. Leading zeros are kept: readers at one site deliver one fixed format.
public struct BadgeID: Hashable, Sendable {
    /// The normalised characters.
    public let normalised: String

    /// The shortest accepted badge number.
    public static let minimumLength = 4
    /// The longest accepted badge number.
    public static let maximumLength = 32

    /// Why a text is not a badge number.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Nothing but separators.
        case empty
        /// A character other than a hex digit or separator, at this (0-based) position of the input.
        case invalidCharacter(Character, position: Int)
        /// Too short or too long after normalisation.
        case invalidLength(Int)

        /// A sentence saying what is wrong and what is allowed.
        public var description: String {
            switch self {
            case .empty:
                "a badge number is empty"
            case .invalidCharacter(let c, let position):
                "a badge number may contain only digits 0-9 and letters A-F, not \"\(TextEscaping.escaped(String(c)))\" at position \(position + 1)"
            case .invalidLength(let n):
                "a badge number must have \(BadgeID.minimumLength)-\(BadgeID.maximumLength) characters, not \(n)"
            }
        }
    }

    /// Normalises `text`; throws what is wrong with it.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        if let ascii = Self.normalisedASCII(text.utf8) {
            guard !ascii.isEmpty else { throw .empty }
            guard (Self.minimumLength...Self.maximumLength).contains(ascii.count) else {
                throw .invalidLength(ascii.count)
            }
            self.normalised = String(decoding: ascii, as: UTF8.self)
            return
        }
        // Anything but the usual ASCII line (Unicode spaces to trim, a character to name in the error): by
        // Character, as the message reports positions.
        var result = ""
        for (position, character) in text.trimmingCharacters(in: .whitespacesAndNewlines).enumerated() {
            switch character {
            case " ", ":", "-": continue
            case "0"..."9", "A"..."F": result.append(character)
            case "a"..."f": result.append(Character(character.uppercased()))
            default: throw .invalidCharacter(character, position: position)
            }
        }
        guard !result.isEmpty else { throw .empty }
        guard (Self.minimumLength...Self.maximumLength).contains(result.count) else {
            throw .invalidLength(result.count)
        }
        self.normalised = result
    }

    /// The normalised digits of an all-ASCII line whose every character is allowed, or nil (the Character path
    /// decides, and reports, everything else). Every badge read comes through here; Foundation's trimming and
    /// Character iteration cost more than the HMAC after it.
    private static func normalisedASCII(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        var digits: [UInt8] = []
        digits.reserveCapacity(Swift.min(bytes.count, maximumLength + 1))
        var seenContent = false
        var controlAfterContent = false  // a tab or line break may only lead or trail, as trimming removes them
        for byte in bytes {
            switch byte {
            case UInt8(ascii: " "): continue
            case 0x09...0x0D:
                controlAfterContent = seenContent
                continue
            case UInt8(ascii: ":"), UInt8(ascii: "-"): break
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "F"): digits.append(byte)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digits.append(byte - 0x20)
            default: return nil
            }
            if controlAfterContent { return nil }
            seenContent = true
        }
        return digits
    }

    /// The last four characters, which the store keeps for display ("…1234").
    public var lastFour: String { String(normalised.suffix(4)) }
}

/// The keyed fingerprint of a badge number (lower-case hex of HMAC-SHA256 with the site secret): how the store
/// and the log know a badge without keeping its number.
public struct BadgeFingerprint: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// Lower-case hex.
    public let rawValue: String
    /// Wraps a hex fingerprint.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The hex fingerprint.
    public var description: String { rawValue }
}

/// A badge as the store knows it.
public struct Badge: Hashable, Sendable {
    /// Its fingerprint.
    public var fingerprint: BadgeFingerprint
    /// The last four characters of the number, for display.
    public var lastFour: String
    /// Its holder.
    public var holderID: HolderID
    /// A revoked badge is never granted.
    public var revoked: Bool
    /// The store's id (nil when not stored).
    public var id: Int64?
    /// When it was assigned.
    public var assignedAt: Date?
    /// When it was revoked.
    public var revokedAt: Date?

    /// Creates a badge record.
    public init(
        fingerprint: BadgeFingerprint, lastFour: String, holderID: HolderID, revoked: Bool = false, id: Int64? = nil,
        assignedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.fingerprint = fingerprint
        self.lastFour = lastFour
        self.holderID = holderID
        self.revoked = revoked
        self.id = id
        self.assignedAt = assignedAt
        self.revokedAt = revokedAt
    }
}

/// A validity window of a holder: `[from, until)` in UTC.
public struct Registration: Hashable, Sendable {
    /// The store's id.
    public var id: Int64
    /// The holder.
    public var holderID: HolderID
    /// The first instant covered.
    public var from: Date
    /// The first instant no longer covered.
    public var until: Date

    /// Creates a registration.
    public init(id: Int64, holderID: HolderID, from: Date, until: Date) {
        self.id = id
        self.holderID = holderID
        self.from = from
        self.until = until
    }

    /// Whether it covers `instant` (half-open: `from` is covered, `until` is not).
    public func covers(_ instant: Date) -> Bool { from <= instant && instant < until }
}

/// What the store knows about a presented badge: the badge, its holder and the holder's registrations.
public struct Credential: Hashable, Sendable {
    /// The badge.
    public var badge: Badge
    /// Its holder.
    public var holder: Holder
    /// The holder's registrations (any order).
    public var registrations: [Registration]

    /// Creates a credential.
    public init(badge: Badge, holder: Holder, registrations: [Registration]) {
        self.badge = badge
        self.holder = holder
        self.registrations = registrations
    }
}
