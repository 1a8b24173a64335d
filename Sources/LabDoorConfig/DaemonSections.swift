import Foundation
import LabDoorCore

/// Parses the daemon's sections: `[paths]`, `[door]`, `[[reader]]`, `[alarms]`, `[clock]`, `[metrics]`, `[log]`.
enum DaemonSections {
    static let tables = ["paths", "door", "reader", "alarms", "clock", "metrics", "log"]

    /// Parses the sections into `config`, collecting every problem in `problems`.
    static func parse(
        _ root: inout TableReader, into config: inout LabDoorConfiguration, _ problems: inout ProblemCollector
    ) {
        problems.check { () throws(ConfigurationError) in
            guard var paths = try root.table("paths") else { return }
            var collected = ProblemCollector()
            collected.check { () throws(ConfigurationError) in
                guard let dir = try absolutePath(&paths, "state_dir") else { return }
                try checkStateDirectory(dir, &paths)
                config.paths.stateDirectory = dir
            }
            collected.check { () throws(ConfigurationError) in
                guard let socket = try absolutePath(&paths, "socket") else { return }
                // sockaddr_un holds 108 bytes with the terminating NUL; a longer path cannot be bound at all.
                let limit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
                guard socket.utf8.count <= limit else {
                    throw paths.error(
                        "socket",
                        "\(socket.utf8.count) bytes is longer than the \(limit) bytes a Unix socket path may have; choose a shorter path, e.g. /run/labdoor/control.sock"
                    )
                }
                config.paths.socket = socket
            }
            collected.check { () throws(ConfigurationError) in
                try paths.rejectUnknownKeys(allowed: ["state_dir", "socket"])
            }
            try collected.finish()
        }
        problems.check { () throws(ConfigurationError) in
            guard var door = try root.table("door") else { return }
            config.door = try parseDoor(&door)
        }
        problems.check { () throws(ConfigurationError) in
            guard let readers = try root.tables("reader") else { return }
            var names: Set<String> = []
            var collected = ProblemCollector()
            for var table in readers {
                collected.check { () throws(ConfigurationError) in
                    let reader = try parseReader(&table)
                    guard names.insert(reader.name).inserted else {
                        throw table.error(
                            "name", "another [[reader]] is already called \"\(reader.name)\"; names must differ")
                    }
                    try checkAgainstOthers(reader, config.readers, socket: config.paths.socket, &table)
                    config.readers.append(reader)
                }
            }
            if config.readers.filter({ $0.backend == .stdin }).count > 1 {
                collected.check { () throws(ConfigurationError) in
                    throw root.error("reader", "only one [[reader]] can read standard input")
                }
            }
            try collected.finish()
        }
        problems.check { () throws(ConfigurationError) in
            guard var alarms = try root.table("alarms") else { return }
            if let command = try alarms.string("command") {
                guard command.contains(where: { !$0.isWhitespace }) else {
                    throw alarms.error("command", "must not be empty")
                }
                config.alarms.command = ["/bin/sh", "-c", command]
            }
            if let socket = try absolutePath(&alarms, "socket") {
                guard config.alarms.command == nil else {
                    throw alarms.error(
                        "socket", "set command or socket, not both (the socket's service runs the site's hook)")
                }
                config.alarms.socket = socket
            }
            if let timeout = try alarms.integer("timeout_seconds", in: 1...300) {
                config.alarms.timeoutSeconds = timeout
            }
            try alarms.rejectUnknownKeys(allowed: ["command", "socket", "timeout_seconds"])
        }
        problems.check { () throws(ConfigurationError) in
            guard var clock = try root.table("clock") else { return }
            if let trust = try clock.choice("trust", ClockTrustSource.allCases.map(\.rawValue)) {
                config.clockTrust = ClockTrustSource(rawValue: trust) ?? .system
            }
            try clock.rejectUnknownKeys(allowed: ["trust"])
        }
        problems.check { () throws(ConfigurationError) in
            guard var metrics = try root.table("metrics") else { return }
            config.metricsTextfile = try absolutePath(&metrics, "textfile")
            try metrics.rejectUnknownKeys(allowed: ["textfile"])
        }
        problems.check { () throws(ConfigurationError) in
            guard var log = try root.table("log") else { return }
            if let days = try log.integer("retention_days", in: 1...36_500) { config.retentionDays = days }
            try log.rejectUnknownKeys(allowed: ["retention_days"])
        }
    }

    /// Directories the daemon must never take for its state (it creates files there and sets the mode).
    static let systemDirectories: Set<String> = [
        "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/srv",
        "/sys", "/tmp", "/usr", "/var", "/var/lib",
    ]

    static func checkStateDirectory(_ dir: String, _ paths: inout TableReader) throws(ConfigurationError) {
        let components = dir.split(separator: "/")
        guard !components.contains(where: { $0 == "." || $0 == ".." }) else {
            throw paths.error("state_dir", "write the directory without . or .. components, e.g. /var/lib/labdoor")
        }
        let normalised = "/" + components.joined(separator: "/")
        guard !systemDirectories.contains(normalised) else {
            throw paths.error(
                "state_dir",
                "\"\(dir)\" is a system directory; the state needs a directory of its own, e.g. /var/lib/labdoor")
        }
    }

    /// A reader must not share its FIFO with another reader or with the control socket, and USB readers with one
    /// vid:pid must be told apart by port or serial.
    static func checkAgainstOthers(
        _ reader: ReaderSettings, _ others: [ReaderSettings], socket: String, _ table: inout TableReader
    ) throws(ConfigurationError) {
        if let path = reader.path {
            if path == socket {
                throw table.error("path", "\(path) is the control socket ([paths] socket); give the FIFO its own path")
            }
            if let other = others.first(where: { $0.path == path }) {
                throw table.error(
                    "path", "reader \"\(other.name)\" reads \(path) already; each reader needs its own FIFO")
            }
        }
        guard reader.backend.isUSB else { return }
        for other in others
        where other.backend.isUSB && other.vendorID == reader.vendorID
            && other.productID == reader.productID
        {
            let distinct =
                (reader.port != nil && other.port != nil && reader.port != other.port)
                || (reader.serial != nil && other.serial != nil && reader.serial != other.serial)
            guard distinct else {
                throw table.error(
                    "usb",
                    "reader \"\(other.name)\" is the same vid:pid, and nothing tells the two apart: set port (or serial) on both, each different"
                )
            }
        }
    }

    static func absolutePath(_ table: inout TableReader, _ key: String) throws(ConfigurationError) -> String? {
        guard let path = try table.string(key) else { return nil }
        guard path.hasPrefix("/") else {
            throw table.error(key, "must be an absolute path (starting with /), not \"\(path)\"")
        }
        return path
    }

    static func line(_ table: inout TableReader, _ key: String) throws(ConfigurationError) -> LineReference? {
        guard let value = table.table[key] else { return nil }
        switch value.kind {
        case .integer(let n):
            _ = try table.integer(key, in: 0...511)
            return .offset(n)
        case .string(let s):
            _ = try table.string(key)
            guard !s.isEmpty else { throw table.error(key, "a line name must not be empty") }
            return .name(s)
        default:
            throw table.error(key, "expected a line offset (integer) or a line name (string), found \(value.typeName)")
        }
    }

    static func parseDoor(_ door: inout TableReader) throws(ConfigurationError) -> DoorSettings {
        var settings = DoorSettings()
        if let backend = try door.choice("backend", DoorSettings.Backend.allCases.map(\.rawValue)) {
            settings.backend = DoorSettings.Backend(rawValue: backend) ?? .sim
        }
        settings.chip = try door.string("chip")
        if let chip = settings.chip, chip.isEmpty || chip.allSatisfy(\.isNumber) {
            throw door.error(
                "chip",
                "\"\(chip)\" is not a chip label, name (gpiochip0) or /dev path; chip numbers change between kernels, so use the label, e.g. \"pinctrl-bcm2711\""
            )
        }
        settings.relayLine = try line(&door, "relay_line")
        if let value = try door.bool("relay_active_low") { settings.relayActiveLow = value }
        settings.contactLine = try line(&door, "contact_line")
        if let level = try door.choice("contact_open_level", Level.allCases.map(\.rawValue)) {
            settings.contactOpenLevel = Level(rawValue: level) ?? .high
        }
        settings.exitLine = try line(&door, "exit_line")
        if let level = try door.choice("exit_active_level", Level.allCases.map(\.rawValue)) {
            settings.exitActiveLevel = Level(rawValue: level) ?? .low
        }
        settings.greenLEDLine = try line(&door, "green_led_line")
        settings.redLEDLine = try line(&door, "red_led_line")
        settings.buzzerLine = try line(&door, "buzzer_line")
        if let value = try door.integer("debounce_ms", in: 0...1000) { settings.debounceMilliseconds = value }
        if let value = try door.integer("unlock_seconds", in: 1...300) { settings.unlockSeconds = value }
        if let value = try door.integer("held_open_seconds", in: 1...3600) { settings.heldOpenSeconds = value }
        if let mode = try door.choice("fail_mode", DoorSettings.FailMode.allCases.map(\.rawValue)) {
            settings.failMode = DoorSettings.FailMode(rawValue: mode) ?? .secure
        }
        try door.rejectUnknownKeys(allowed: [
            "backend", "chip", "relay_line", "relay_active_low", "contact_line", "contact_open_level", "exit_line",
            "exit_active_level", "green_led_line", "red_led_line", "buzzer_line", "debounce_ms", "unlock_seconds",
            "held_open_seconds", "fail_mode",
        ])
        // One line, one job: the relay wired to the contact or the exit button would open the door by itself.
        let lines: [(String, LineReference?)] = [
            ("relay_line", settings.relayLine), ("contact_line", settings.contactLine),
            ("exit_line", settings.exitLine),
            ("green_led_line", settings.greenLEDLine), ("red_led_line", settings.redLEDLine),
            ("buzzer_line", settings.buzzerLine),
        ]
        for (index, (key, line)) in lines.enumerated() {
            guard let line else { continue }
            if let earlier = lines[..<index].first(where: { $0.1 == line }) {
                throw door.error(key, "\(line) is \(earlier.0) already; each role needs its own line")
            }
        }
        if settings.backend == .gpio {
            guard settings.chip != nil else {
                throw door.error(nil, "backend = \"gpio\" needs chip = (a chip label, name or /dev path)")
            }
            guard settings.relayLine != nil else {
                throw door.error(nil, "backend = \"gpio\" needs relay_line = (a line name or offset)")
            }
        }
        return settings
    }

    /// `bus-port[.port…]` as the kernel and libusb write it: a bus number, a dash, then 1–7 port numbers
    /// separated by dots, each 1–255 ("1-1.2", "3-2").
    static func isUSBPortPath(_ text: String) -> Bool {
        let halves = text.split(separator: "-", omittingEmptySubsequences: false)
        guard halves.count == 2, let bus = Int(halves[0]), (1...255).contains(bus), halves[0].allSatisfy(\.isASCII)
        else { return false }
        let ports = halves[1].split(separator: ".", omittingEmptySubsequences: false)
        return (1...7).contains(ports.count)
            && ports.allSatisfy { part in
                part.allSatisfy { $0.isASCII && $0.isNumber } && Int(part).map { (1...255).contains($0) } == true
            }
    }

    static func parseReader(_ table: inout TableReader) throws(ConfigurationError) -> ReaderSettings {
        guard let name = try table.string("name") else {
            throw table.error(nil, "every [[reader]] needs a name, e.g. name = \"entry\"")
        }
        guard !name.isEmpty, name.count <= 32,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw table.error("name", "\"\(name)\" is not a reader name; use 1–32 ASCII letters, digits, - or _")
        }
        guard let backendText = try table.choice("backend", ReaderSettings.Backend.allCases.map(\.rawValue)),
            let backend = ReaderSettings.Backend(rawValue: backendText)
        else {
            throw table.error(nil, "reader \"\(name)\" needs backend = \"usb\", \"ccid\", \"stdin\" or \"fifo\"")
        }
        var reader = ReaderSettings(name: name, backend: backend)
        reader.path = try absolutePath(&table, "path")
        if let usb = try table.string("usb") {
            let parts = usb.split(separator: ":")
            guard parts.count == 2, parts.allSatisfy({ $0.count == 4 }), let vid = UInt16(parts[0], radix: 16),
                let pid = UInt16(parts[1], radix: 16)
            else {
                throw table.error(
                    "usb", "\"\(usb)\" is not a USB id; write vid:pid in hex, e.g. \"ffff:0035\" (see lsusb)")
            }
            reader.vendorID = vid
            reader.productID = pid
        }
        if let port = try table.string("port"), !port.isEmpty {
            guard isUSBPortPath(port) else {
                throw table.error("port", "\"\(port)\" is not a USB port path; write bus-port[.port…], e.g. \"1-1.2\"")
            }
            reader.port = port
        }
        if let serial = try table.string("serial"), !serial.isEmpty { reader.serial = serial }
        if let timeout = try table.integer("interkey_timeout_ms", in: 10...2000) {
            reader.interkeyTimeoutMilliseconds = timeout
        }
        if let format = try table.choice("uid_format", UIDFormat.allCases.map(\.rawValue)) {
            guard backend == .ccid else {
                throw table.error("uid_format", "uid_format is for backend = \"ccid\" readers (a card's UID)")
            }
            reader.uidFormat = UIDFormat(rawValue: format) ?? .hex
        }
        try table.rejectUnknownKeys(allowed: [
            "name", "backend", "path", "usb", "port", "serial", "interkey_timeout_ms", "uid_format",
        ])
        switch backend {
        case .fifo where reader.path == nil:
            throw table.error(
                nil, "reader \"\(name)\" has backend = \"fifo\" and needs path = (the FIFO's absolute path)")
        case .usb where reader.vendorID == nil:
            throw table.error(nil, "reader \"\(name)\" has backend = \"usb\" and needs usb = \"vid:pid\"")
        case .ccid where reader.vendorID == nil:
            throw table.error(
                nil,
                "reader \"\(name)\" has backend = \"ccid\" and needs usb = \"vid:pid\", e.g. \"072f:2200\" (ACS ACR122U)"
            )
        default:
            return reader
        }
    }
}
