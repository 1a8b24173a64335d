import Foundation
public import LabDoorCore

/// Encodes `Encodable` values as `JSONValue`s: object keys in the order the type encodes them (declaration order
/// for synthesized conformances), `nil` optionals as `null`, integers only.
///
/// Why not Foundation's `JSONEncoder`: on Linux it writes object keys in hash order, which changes from process
/// to process, and LabDoor's JSON is a documented, byte-stable interface (`--format json`, the control
/// protocol). With `.sortedKeys` it would be stable but would no longer follow the documented order.
public struct ControlEncoder: Sendable {
    /// An encoder.
    public init() {}

    /// The value as JSON; throws `EncodingError` for values JSON cannot carry here (floating point, UInt64 above
    /// Int64.max).
    public func encode(_ value: some Encodable) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let node = EncodingNode()
        try value.encode(to: NodeEncoder(node: node, codingPath: []))
        return node.json
    }
}

// MARK: - Encoding

private final class EncodingNode {
    enum Content {
        case empty
        case value(JSONValue)
        case object([(String, EncodingNode)])
        case array([EncodingNode])
    }

    var content = Content.empty

    var json: JSONValue {
        switch content {
        case .empty: .object([])
        case .value(let value): value
        case .object(let members): .object(members.map { ($0.0, $0.1.json) })
        case .array(let items): .array(items.map(\.json))
        }
    }

    // Both take the array out of `content` before appending, so that it is uniquely referenced and grows in
    // place: appending to a copy each time made encoding a 10,000-item result quadratic.
    func child(forKey key: String) -> EncodingNode {
        let node = EncodingNode()
        var members: [(String, EncodingNode)] = []
        if case .object(let existing) = content { members = existing }
        content = .empty
        members.removeAll { $0.0 == key }
        members.append((key, node))
        content = .object(members)
        return node
    }

    func appendChild() -> EncodingNode {
        let node = EncodingNode()
        var items: [EncodingNode] = []
        if case .array(let existing) = content { items = existing }
        content = .empty
        items.append(node)
        content = .array(items)
        return node
    }
}

private struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([]) }
        return KeyedEncodingContainer(KeyedNodeEncoder<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedNodeEncoder(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeEncoder(node: node, codingPath: codingPath)
    }
}

/// The JSON for a primitive, or nil when `value` is not one of JSON's primitives here.
private func primitive(_ value: any Encodable, at path: [any CodingKey]) throws -> JSONValue? {
    func integer<I: BinaryInteger>(_ n: I) throws -> JSONValue {
        guard let exact = Int64(exactly: n) else {
            throw EncodingError.invalidValue(n, .init(codingPath: path, debugDescription: "\(n) does not fit Int64"))
        }
        return .int(exact)
    }
    switch value {
    case let json as JSONValue: return json
    case let text as String: return .string(text)
    case let flag as Bool: return .bool(flag)
    case let n as Int: return try integer(n)
    case let n as Int8: return try integer(n)
    case let n as Int16: return try integer(n)
    case let n as Int32: return try integer(n)
    case let n as Int64: return try integer(n)
    case let n as UInt: return try integer(n)
    case let n as UInt8: return try integer(n)
    case let n as UInt16: return try integer(n)
    case let n as UInt32: return try integer(n)
    case let n as UInt64: return try integer(n)
    case is Double, is Float:
        throw EncodingError.invalidValue(
            value, .init(codingPath: path, debugDescription: "LabDoor's JSON carries integers only"))
    default: return nil
    }
}

private func encodeValue(_ value: some Encodable, into node: EncodingNode, at path: [any CodingKey]) throws {
    if let json = try primitive(value, at: path) {
        node.content = .value(json)
    } else {
        try value.encode(to: NodeEncoder(node: node, codingPath: path))
    }
}

private struct KeyedNodeEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).content = .value(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try put(value, key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try put(value, key) }

    // Optionals are written as `null`, not left out: the documented JSON always has every key.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try putOptional(value, key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try putOptional(value, key) }

    private func put(_ value: some Encodable, _ key: Key) throws {
        try encodeValue(value, into: node.child(forKey: key.stringValue), at: codingPath + [key])
    }

    private func putOptional(_ value: (some Encodable)?, _ key: Key) throws {
        if let value { try put(value, key) } else { node.child(forKey: key.stringValue).content = .value(.null) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).container(
            keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.child(forKey: "super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
}

struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct UnkeyedNodeEncoder: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let items) = node.content { items.count } else { 0 }
    }

    mutating func encodeNil() throws { node.appendChild().content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = codingPath + [IndexKey(count)]
        try encodeValue(value, into: node.appendChild(), at: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let path = codingPath + [IndexKey(count)]
        return NodeEncoder(node: node.appendChild(), codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = codingPath + [IndexKey(count)]
        return NodeEncoder(node: node.appendChild(), codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = codingPath + [IndexKey(count)]
        return NodeEncoder(node: node.appendChild(), codingPath: path)
    }
}

private struct SingleNodeEncoder: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encodeValue(value, into: node, at: codingPath) }
}
