import LabDoorCore
public import Logging

/// A log handler that escapes control characters in the message and the metadata before another handler writes
/// them: reader input, names and configuration text reach the log, and an ESC sequence there must not repaint an
/// operator's terminal or forge a line of the journal.
public struct EscapingLogHandler: LogHandler {
    private var inner: any LogHandler

    /// Wraps `inner`.
    public init(_ inner: any LogHandler) { self.inner = inner }

    /// The wrapped handler's level.
    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    /// The wrapped handler's metadata (escaped when logged).
    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    /// One metadata value of the wrapped handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    /// Logs through the wrapped handler with control characters escaped.
    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: TextEscaping.escaped(event.message.description))
        event.metadata = event.metadata.map { Self.escaped($0) }
        var handler = inner
        handler.metadata = Self.escaped(inner.metadata)
        handler.log(event: event)
    }

    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues(escaped)
    }

    static func escaped(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(TextEscaping.escaped(text))
        case .stringConvertible(let convertible): .string(TextEscaping.escaped(convertible.description))
        case .array(let values): .array(values.map(escaped))
        case .dictionary(let values): .dictionary(values.mapValues(escaped))
        }
    }
}
