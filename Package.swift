// swift-tools-version: 6.2
// LabDoor: door access control for the Työ 2.0 Lab. Module boundaries are described in README.md and
// docs/architecture.md; the short version: LabDoorCore is pure policy, everything with I/O is an adapter.
import PackageDescription

/// Settings every LabDoor Swift target shares: Swift 6 mode is the package default; warnings are errors.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "LabDoor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "labdoord", targets: ["labdoord"]),
        .executable(name: "labdoorctl", targets: ["labdoorctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Child processes without a polling thread (the alarm hook), and Errno for errors that keep their cause.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C libraries, wrapped once each (see Sources/C*/module.modulemap).
        .systemLibrary(
            name: "CLibUSB",
            pkgConfig: "libusb-1.0",
            providers: [.apt(["libusb-1.0-0-dev"])]
        ),
        .systemLibrary(
            name: "CGPIOD",
            pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]
        ),
        .target(
            name: "CLabDoorGPIO",
            dependencies: ["CGPIOD"],
            cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-Wall", "-Wextra", "-Werror"])]
        ),

        .target(
            name: "CLabDoorSystem",
            cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-Wall", "-Wextra", "-Werror"])]
        ),

        // Swift modules.
        .target(name: "LabDoorCore", swiftSettings: strict),
        .target(
            name: "LabDoorConfig",
            dependencies: ["LabDoorCore"],
            swiftSettings: strict
        ),
        .target(name: "LabDoorProtocol", dependencies: ["LabDoorCore"], swiftSettings: strict),
        .target(
            name: "LabDoorStore",
            dependencies: [
                "LabDoorCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "LabDoorHardware",
            dependencies: [
                "LabDoorCore", "CLibUSB", "CLabDoorGPIO", .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "LabDoorDaemon",
            dependencies: [
                "LabDoorCore", "LabDoorConfig", "LabDoorProtocol", "LabDoorStore", "LabDoorHardware", "CLabDoorSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .target(name: "LabDoorTestKit", dependencies: ["LabDoorCore"], swiftSettings: strict),

        // Thin executables.
        .executableTarget(
            name: "labdoord",
            dependencies: [
                "LabDoorDaemon", "LabDoorConfig", "LabDoorCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "labdoorctl",
            dependencies: [
                "LabDoorCore", "LabDoorConfig", "LabDoorProtocol", "LabDoorStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Test helper: appends events and prints each committed seq (the crash test kills it at random).
        .executableTarget(
            name: "labdoor-logwriter",
            dependencies: ["LabDoorCore", "LabDoorStore"],
            path: "Tests/Helpers/labdoor-logwriter",
            swiftSettings: strict
        ),

        // Bench helper: databases of any size, fast and the same every time (bench/run.py).
        .executableTarget(
            name: "labdoor-bench",
            dependencies: ["LabDoorCore", "LabDoorStore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/Helpers/labdoor-bench",
            swiftSettings: strict
        ),

        // Test helper: opens and closes the GPIO door under bouncing inputs (hil/scenarios/22-gpio-stress.sh).
        .executableTarget(
            name: "labdoor-gpio-stress",
            dependencies: ["LabDoorCore", "LabDoorHardware"],
            path: "Tests/Helpers/labdoor-gpio-stress",
            swiftSettings: strict
        ),

        // Tests.
        .testTarget(
            name: "LabDoorCoreTests",
            dependencies: ["LabDoorCore", "LabDoorTestKit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LabDoorConfigTests",
            dependencies: ["LabDoorConfig", "LabDoorCore", "LabDoorTestKit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LabDoorHardwareTests",
            dependencies: ["LabDoorHardware", "LabDoorCore", "LabDoorTestKit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LabDoorStoreTests",
            dependencies: [
                "LabDoorStore", "LabDoorCore", "LabDoorTestKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "LabDoorArchitectureTests", swiftSettings: strict),
        .testTarget(
            name: "LabDoorProtocolTests",
            dependencies: ["LabDoorProtocol", "LabDoorCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LabDoorDaemonTests",
            dependencies: [
                "LabDoorDaemon", "LabDoorCore", "LabDoorConfig", "LabDoorProtocol", "LabDoorTestKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LabDoorEndToEndTests",
            dependencies: [
                "LabDoorCore", "LabDoorProtocol", "LabDoorStore", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
    ]
)
