import Foundation
import LabDoorCore

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's Prometheus metrics, written as a node-exporter textfile-collector file: decision counts by
/// reason, whether the relay is unlocked, events waiting for the disk, and which readers are attached.
struct DaemonMetrics: Sendable {
    /// How often the file is rewritten.
    static let interval: Duration = .seconds(15)

    private(set) var decisions: [ReasonCode: Int] = [:]

    /// Counts one decision.
    mutating func count(_ reason: ReasonCode) { decisions[reason, default: 0] += 1 }

    /// The file's text (Prometheus exposition format 0.0.4).
    func render(relayUnlocked: Bool, pendingEvents: Int, readers: [String: ReaderState]) -> String {
        var lines = [
            "# HELP labdoor_relay_unlocked Whether the door relay is unlocked (1) or locked (0).",
            "# TYPE labdoor_relay_unlocked gauge", "labdoor_relay_unlocked \(relayUnlocked ? 1 : 0)",
            "# HELP labdoor_log_pending_events Events waiting in memory because the log cannot be written.",
            "# TYPE labdoor_log_pending_events gauge", "labdoor_log_pending_events \(pendingEvents)",
            "# HELP labdoor_decisions_total Badge decisions since start, by reason.",
            "# TYPE labdoor_decisions_total counter",
        ]
        for reason in ReasonCode.allCases {
            lines.append("labdoor_decisions_total{reason=\"\(reason.rawValue)\"} \(decisions[reason] ?? 0)")
        }
        lines.append("# HELP labdoor_reader_up Whether a reader is attached.")
        lines.append("# TYPE labdoor_reader_up gauge")
        for (name, state) in readers.sorted(by: { $0.key < $1.key }) {
            lines.append("labdoor_reader_up{reader=\"\(Self.label(name))\"} \(state == .attached ? 1 : 0)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `text` to `path` atomically (a temporary file renamed over it), so the collector never reads half.
    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        // Readable by the collector's user (node_exporter): the daemon's umask would make it 0640.
        guard chmod(temporary, 0o644) == 0 else { throw SystemCallError("chmod", path: temporary, errno: errno) }
        guard rename(temporary, path) == 0 else { throw SystemCallError("rename", path: path, errno: errno) }
    }

    /// A label value with `\`, `"` and newlines escaped, as the exposition format requires.
    static func label(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// A reader's state, as status and metrics show it.
enum ReaderState: String, Sendable {
    /// Configured, not yet reported.
    case starting
    /// Attached (or opened).
    case attached
    /// Detached (or closed).
    case detached
}
