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
        throw Failure(message: error.description)
    }
}

/// Runs a store operation, turning its error into a message for the user.
func storeCall<T>(_ body: () throws(StoreError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw Failure(message: error.description)
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

/// Writes `text` to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
