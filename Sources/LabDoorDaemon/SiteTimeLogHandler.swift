import Foundation
public import LabDoorCore
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The demo's log on standard error, told apart from the door's lines on standard output: each line starts with
/// `log`, the time in the site zone with its offset, and the level — `log 14:04:41+02:00 info  badge decision
/// reader=entry …` — dimmed on a terminal. Control characters in messages and metadata are escaped. (A service's
/// log goes to the journal, which stamps its own time; this handler is for people watching a terminal.)
public struct SiteTimeLogHandler: LogHandler {
    /// The level below which nothing is written.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]

    private let label: String
    private let zone: SiteZone
    private let dim: Bool

    /// A handler for `label`, showing times in `zone`.
    public init(label: String, zone: SiteZone) {
        self.label = label
        self.zone = zone
        dim = isatty(STDERR_FILENO) == 1
    }

    /// One metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        let now = Date()
        let iso = zone.iso(now)
        let time = iso.dropFirst(11)  // HH:MM:SS+hh:mm
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(EscapingLogHandler.escaped($0.value))" }
        let level = "\(event.level)".padding(toLength: 8, withPad: " ", startingAt: 0)
        var line = "log \(time) \(level) \(TextEscaping.escaped(event.message.description))"
        if !fields.isEmpty { line += "  " + fields.joined(separator: " ") }
        if dim { line = "\u{1B}[2m" + line + "\u{1B}[0m" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
