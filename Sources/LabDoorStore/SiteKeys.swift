import Crypto
public import Foundation
public import LabDoorCore

#if canImport(Glibc)
    import Glibc
#endif

/// The site's secrets, in the state directory's `keys/` (mode 0700, files 0600), created on first start:
///
/// - `badge-secret`: 32 random bytes (base64) — the HMAC-SHA256 key for badge fingerprints. Kept out of the
///   database so that a copy of labdoor.db given to an auditor cannot be brute-forced back to badge numbers.
/// - `log-signing.ed25519`: the Ed25519 private key (base64 of the 32-byte raw representation) that signs
///   checkpoints and purge anchors.
struct SiteKeys: Sendable {
    let signingKey: Curve25519.Signing.PrivateKey
    /// Fingerprints with the badge secret, keyed once.
    let fingerprinter: BadgeFingerprinter

    init(badgeSecret: SymmetricKey, signingKey: Curve25519.Signing.PrivateKey) {
        self.signingKey = signingKey
        self.fingerprinter = BadgeFingerprinter(secret: badgeSecret)
    }

    static let badgeSecretFile = "badge-secret"
    static let signingKeyFile = "log-signing.ed25519"

    /// Whether `directory` holds a site's keys (either of them): then a missing database is a lost one.
    static func exist(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(directory)/\(badgeSecretFile)")
            || FileManager.default.fileExists(atPath: "\(directory)/\(signingKeyFile)")
    }

    /// Creates `directory` (and its parents) for the keys if it is missing; no key yet.
    static func createDirectory(_ directory: String) throws(StoreError) {
        guard !FileManager.default.fileExists(atPath: directory) else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .keys(path: directory, message: "cannot create the keys directory: \(error.localizedDescription)")
        }
    }

    /// Loads the keys from `directory`, creating the directory and any missing key.
    static func loadOrCreate(in directory: String) throws(StoreError) -> SiteKeys {
        try createDirectory(directory)
        let secret = try loadOrCreate(file: "\(directory)/\(badgeSecretFile)") { SymmetricKey(size: .bits256).bytes }
        let signing = try loadOrCreate(file: "\(directory)/\(signingKeyFile)") {
            Curve25519.Signing.PrivateKey().rawRepresentation
        }
        guard secret.count == 32 else {
            throw .keys(
                path: "\(directory)/\(badgeSecretFile)",
                message: "must hold 32 bytes (base64); it holds \(secret.count)")
        }
        do {
            return SiteKeys(
                badgeSecret: SymmetricKey(data: secret),
                signingKey: try Curve25519.Signing.PrivateKey(rawRepresentation: signing))
        } catch {
            throw .keys(path: "\(directory)/\(signingKeyFile)", message: "is not an Ed25519 private key")
        }
    }

    /// Reads a base64 key file, or creates it (mode 0600, O_EXCL, fsynced) with `make()`.
    private static func loadOrCreate(file: String, make: () -> Data) throws(StoreError) -> Data {
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw .keys(path: file, message: "is not base64 text")
            }
            return data
        }
        if FileManager.default.fileExists(atPath: file) {
            throw .keys(path: file, message: "exists but cannot be read; check its owner (labdoor) and mode (0600)")
        }
        let data = make()
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw .keys(path: file, message: "cannot be created: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        let bytes = Array((data.base64EncodedString() + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            let code = errno
            unlink(file)
            throw .keys(path: file, message: "cannot be written: \(String(cString: strerror(code)))")
        }
        return data
    }
}

extension SymmetricKey {
    var bytes: Data { withUnsafeBytes { Data($0) } }
}

/// A public key in the text form auditors keep: `labdoor-pubkey-v1 ed25519 <base64 of 32 bytes>`.
public struct LogPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The raw 32-byte Ed25519 public key.
    public let rawRepresentation: Data

    /// Wraps raw key bytes.
    public init(rawRepresentation: Data) { self.rawRepresentation = rawRepresentation }

    /// Parses the text form (surrounding white space allowed).
    public init?(text: String) {
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 3, parts[0] == "labdoor-pubkey-v1", parts[1] == "ed25519",
            let raw = Data(base64Encoded: String(parts[2])), raw.count == 32
        else { return nil }
        self.rawRepresentation = raw
    }

    /// The key's short id: the first 16 hex digits of SHA-256 of the raw key.
    public var keyID: String { String(SHA256.hash(data: rawRepresentation).hex.prefix(16)) }

    /// The text form.
    public var description: String { "labdoor-pubkey-v1 ed25519 \(rawRepresentation.base64EncodedString())" }

    func isValidSignature(_ signature: Data, for payload: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: payload)
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hex.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Badge fingerprints from the site's badge secret alone, read (never created) from a keys directory: for
/// `labdoorctl check --db`, which decides offline on a copy of the database.
public struct BadgeFingerprinter: Sendable {
    /// HMAC-SHA256 with the secret's key block already absorbed: each fingerprint copies it (a badge read need
    /// not hash the key again).
    private let keyed: HMAC<SHA256>

    /// Reads `keysDirectory/badge-secret`; throws `.keys` saying what is wrong (missing, unreadable, malformed).
    public init(keysDirectory: String) throws(StoreError) {
        let file = "\(keysDirectory)/\(SiteKeys.badgeSecretFile)"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw .keys(
                path: file,
                message: FileManager.default.fileExists(atPath: file)
                    ? "cannot be read (it is labdoor's, mode 0600)" : "does not exist")
        }
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32
        else { throw .keys(path: file, message: "is not 32 bytes of base64") }
        keyed = HMAC<SHA256>(key: SymmetricKey(data: data))
    }

    init(secret: SymmetricKey) { keyed = HMAC<SHA256>(key: secret) }

    /// The keyed fingerprint of `badge`.
    public func fingerprint(of badge: BadgeID) -> BadgeFingerprint {
        var hmac = keyed
        hmac.update(data: Array(badge.normalised.utf8))
        return BadgeFingerprint(rawValue: Data(hmac.finalize()).hex)
    }
}
