import Foundation
import GRDB

/// A row read from the database, decoded as stored data: a NULL where a value belongs, or a value of another
/// type (a text in an INTEGER column, a blob for a name), is a `DamagedRow` error naming the table, the row and
/// the column — never a trap (GRDB's `row["column"] as T` stops the process on a failed conversion).
struct StoredRow {
    let row: Row
    /// The table, for messages.
    let table: String
    /// The row's column names, in order.
    private let names: [String]

    /// `row` of `table`. A loop over a cursor passes its statement's `columnNames` once for all rows: a row of a
    /// cursor makes each name anew from SQLite's text whenever it is asked for.
    init(_ row: Row, in table: String, names: [String]? = nil) {
        self.row = row
        self.table = table
        self.names = names ?? Array(row.columnNames)
    }

    /// The row, as a message names it: `event seq 42`, `holder id 3`.
    var label: String {
        for key in ["seq", "id"] where row.hasColumn(key) {
            let value: DatabaseValue = row[key]
            if case .int64(let n) = value.storage { return "\(table) \(key) \(n)" }
        }
        return "a row of \(table)"
    }

    /// A value that must be there.
    func required<T: DatabaseValueConvertible>(_ column: String, as _: T.Type = T.self) throws(DamagedRow) -> T {
        guard let value = try optional(column, as: T.self) else {
            throw DamagedRow(description: "\(label): \(column) is NULL")
        }
        return value
    }

    /// A value that may be NULL.
    func optional<T: DatabaseValueConvertible>(_ column: String, as _: T.Type = T.self) throws(DamagedRow) -> T? {
        guard let index = index(of: column) else {
            throw DamagedRow(description: "\(label): the column \(column) is missing")
        }
        let value: DatabaseValue = row[index]
        if value.isNull { return nil }
        guard let converted = T.fromDatabaseValue(value) else {
            throw DamagedRow(description: "\(label): \(column) holds \(Self.describe(value)), not \(T.self)")
        }
        return converted
    }

    /// The position of `column`. LabDoor's columns are spelled in lower case, as the schema declares them, so an
    /// exact comparison finds them; GRDB's own lookup by name lower-cases every column name of a copied row at
    /// each lookup (the largest part of a badge read at 2,000,000 holders). Any other spelling falls back to it.
    private func index(of column: String) -> Int? {
        if let index = names.firstIndex(of: column) { return index }
        let lowered = column.lowercased()
        return names.firstIndex { $0.lowercased() == lowered }
    }

    /// A text column that must hold one of `T`'s raw values.
    func code<T: RawRepresentable>(_ column: String, as _: T.Type = T.self) throws(DamagedRow) -> T
    where T.RawValue == String {
        let text: String = try required(column)
        guard let value = T(rawValue: text) else {
            throw DamagedRow(description: "\(label): \(column) \"\(text)\" is not a \(T.self) this LabDoor knows")
        }
        return value
    }

    /// An optional text column that, when set, holds one of `T`'s raw values.
    func optionalCode<T: RawRepresentable>(_ column: String, as _: T.Type = T.self) throws(DamagedRow) -> T?
    where T.RawValue == String {
        guard let text: String = try optional(column) else { return nil }
        guard let value = T(rawValue: text) else {
            throw DamagedRow(description: "\(label): \(column) \"\(text)\" is not a \(T.self) this LabDoor knows")
        }
        return value
    }

    private static func describe(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: "NULL"
        case .int64(let n): "the integer \(n)"
        case .double(let x): "the real \(x)"
        case .string(let s): "the text \"\(s.prefix(40))\""
        case .blob(let data): "a blob of \(data.count) bytes"
        }
    }
}

/// A stored row that cannot be read as LabDoor wrote it; the store reports it as `StoreError.damaged`.
struct DamagedRow: Error, CustomStringConvertible {
    let description: String
}
