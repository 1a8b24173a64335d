/// Parses the daemon's sections: `[paths]`, `[door]`, `[[reader]]`, `[alarms]`, `[clock]`, `[metrics]`.
enum DaemonSections {
    static let tables = ["paths", "door", "reader", "alarms", "clock", "metrics"]

    static func parse(_ root: inout TableReader, into config: inout LabDoorConfiguration) throws(ConfigurationError) {
        if var paths = try root.table("paths") {
            if let dir = try absolutePath(&paths, "state_dir") { config.paths.stateDirectory = dir }
            if let socket = try absolutePath(&paths, "socket") { config.paths.socket = socket }
            try paths.rejectUnknownKeys(allowed: ["state_dir", "socket"])
        }
        if var door = try root.table("door") {
            config.door = try parseDoor(&door)
        }
        if let readers = try root.tables("reader") {
            var names: Set<String> = []
            for var table in readers {
                let reader = try parseReader(&table)
                guard names.insert(reader.name).inserted else {
                    throw table.error(
                        "name", "another [[reader]] is already called \"\(reader.name)\"; names must differ")
                }
                config.readers.append(reader)
            }
            if config.readers.filter({ $0.backend == .stdin }).count > 1 {
                throw root.error("reader", "only one [[reader]] can read standard input")
            }
        }
        if var alarms = try root.table("alarms") {
            if let command = try alarms.string("command") {
                guard command.contains(where: { !$0.isWhitespace }) else {
                    throw alarms.error("command", "must not be empty")
                }
                config.alarms.command = ["/bin/sh", "-c", command]
            }
            if let timeout = try alarms.integer("timeout_seconds", in: 1...300) {
                config.alarms.timeoutSeconds = timeout
            }
            try alarms.rejectUnknownKeys(allowed: ["command", "timeout_seconds"])
        }
        if var clock = try root.table("clock") {
            if let trust = try clock.choice("trust", ClockTrustSource.allCases.map(\.rawValue)) {
                config.clockTrust = ClockTrustSource(rawValue: trust) ?? .system
            }
            try clock.rejectUnknownKeys(allowed: ["trust"])
        }
        if var metrics = try root.table("metrics") {
            config.metricsTextfile = try absolutePath(&metrics, "textfile")
            try metrics.rejectUnknownKeys(allowed: ["textfile"])
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
        else { throw table.error(nil, "reader \"\(name)\" needs backend = \"usb\", \"stdin\" or \"fifo\"") }
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
            guard port.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "." }), port.contains("-") else {
                throw table.error("port", "\"\(port)\" is not a USB port path; write bus-port[.port…], e.g. \"1-1.2\"")
            }
            reader.port = port
        }
        if let serial = try table.string("serial"), !serial.isEmpty { reader.serial = serial }
        if let timeout = try table.integer("interkey_timeout_ms", in: 10...2000) {
            reader.interkeyTimeoutMilliseconds = timeout
        }
        try table.rejectUnknownKeys(allowed: [
            "name", "backend", "path", "usb", "port", "serial", "interkey_timeout_ms",
        ])
        switch backend {
        case .fifo where reader.path == nil:
            throw table.error(
                nil, "reader \"\(name)\" has backend = \"fifo\" and needs path = (the FIFO's absolute path)")
        case .usb where reader.vendorID == nil:
            throw table.error(nil, "reader \"\(name)\" has backend = \"usb\" and needs usb = \"vid:pid\"")
        default:
            return reader
        }
    }
}
