import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `labdoord` and `labdoorctl` binaries, as a user would.
enum Binaries {
    /// The directory holding the built products: next to the test bundle, or `LABDOOR_BIN`.
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["LABDOOR_BIN"] {
            return URL(fileURLWithPath: override)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // Under `swift test` on Linux argv[0] is <bin>/LabDoorPackageTests.xctest.
        if url.lastPathComponent.hasSuffix(".xctest") { url.deleteLastPathComponent() }
        return url
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Whether it was ended by a signal (a crash, or the timeout's SIGKILL) rather than exiting.
        var signalled = false
        /// Whether the timeout killed it.
        var timedOut = false
    }

    /// Runs `name` with `arguments` and waits for it — at most `timeout` seconds, then it is killed (and the
    /// result says so): a hang fails the test instead of stalling the run.
    static func run(
        _ name: String, _ arguments: [String], environment: [String: String]? = nil, absolute: Bool = false,
        timeout: Double = 120
    ) throws -> Result {
        let executable = absolute ? URL(fileURLWithPath: name) : directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw MissingBinary(path: executable.path)
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let killedByTimeout = Mutex(false)
        let watchdog = DispatchWorkItem { [process] in
            guard process.isRunning else { return }
            killedByTimeout.withLock { $0 = true }
            kill(process.processIdentifier, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        // Read both pipes at once (stderr on another thread), so that neither can fill up and block the child.
        let errData = Mutex(Data())
        let errRead = DispatchGroup()
        DispatchQueue.global().async(group: errRead) {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errData.withLock { $0 = data }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errRead.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self),
            signalled: process.terminationReason == .uncaughtSignal, timedOut: killedByTimeout.withLock { $0 })
    }

    struct MissingBinary: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is not built: run `swift build` (or `make test`) first" }
    }

    /// A copy of the built program `name` that any user can run, for tests that run it as `nobody`: the build
    /// directory may be inside a private checkout (a clone under `/root` is mode 0700). The copy lives in a fresh
    /// mode-0755 directory under the system's temporary directory; the caller removes `directory`.
    static func copyForAnyUser(_ name: String) throws -> (path: String, directory: URL) {
        let directory = try temporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let copy = directory.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Binaries.directory.appendingPathComponent(name), to: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        return (copy.path, directory)
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("labdoor-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
