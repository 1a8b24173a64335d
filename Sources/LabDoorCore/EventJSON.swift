extension LoggedEvent {
    /// The event as JSON, keys in the documented order (docs/cli.md): the interface of `events --format json`,
    /// `audit export` and `events --follow`.
    public var json: JSONValue {
        let r = record
        return .object([
            ("seq", .int(seq)), ("time", .string(time)), ("kind", .string(r.kind.rawValue)),
            ("reader", .optional(r.reader)), ("badge", .optional(r.badge?.rawValue)),
            ("holder", r.holderID.map { .int($0.rawValue) } ?? .null), ("outcome", .optional(r.outcome?.rawValue)),
            ("reason", .optional(r.reason?.rawValue)), ("actor", .optional(r.actor)), ("details", .optional(r.details)),
            ("clock_trusted", .bool(r.clockTrusted)), ("prev_hash", .string(prevHash)), ("hash", .string(hash)),
        ])
    }
}
