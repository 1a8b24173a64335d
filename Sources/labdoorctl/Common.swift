import Foundation
import LabDoorCore
import LabDoorStore

#if canImport(Glibc)
    import Glibc
#endif

/// Opens a database read-only, turning errors into messages for the user.
func openReadOnly(_ path: String) throws -> LabDoorStore {
    do {
        return try LabDoorStore(readOnlyPath: path)
    } catch {
        throw Failure(error)
    }
}

/// Runs a store operation, turning its error into a message for the user.
func storeCall<T>(_ body: () throws(StoreError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw Failure(error)
    }
}

extension Failure {
    /// A store error with its exit status: 1 for damage (the file was checked and is not intact), 2 when the
    /// file cannot be checked at all (missing, not a database, not LabDoor's, a newer schema, an I/O error).
    init(_ error: StoreError) {
        switch error {
        case .damaged: self.init(error.description, exit: .refused)
        default: self.init(error.description, exit: .usage)
        }
    }
}

/// Parses a time typed on the command line in the site zone, or fails naming the option.
func parseTime(_ text: String, option: String, zone: SiteZone) throws -> Date {
    do {
        return try InstantParser.parse(text, zone: zone)
    } catch {
        throw Failure("\(option): \(error.description)", exit: .usage)
    }
}

/// Writes `text` to standard error, its control characters escaped (but its line breaks kept).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((TextEscaping.escapedKeepingLines(text) + "\n").utf8))
}
