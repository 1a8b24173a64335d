import Foundation
public import LabDoorCore

/// The LabDoor configuration file (`/etc/labdoor/labdoor.toml`): the site, its opening hours and the access
/// profiles. Every key is optional; the defaults are the Työ 2.0 Lab's. Unknown keys are errors.
///
/// ```toml
/// [site]
/// name = "Työ 2.0 Lab"
/// time_zone = "Europe/Helsinki"
///
/// [hours]
/// holidays = "finland"          # or "none"
/// monday = ["07:00-20:00"]      # each day named replaces that day's default; [] closes it
/// saturday = []
///
/// [profiles.visitor]
/// schedule = "opening-hours"    # or "always"
/// requires_registration = true
/// lockdown_override = false
/// ```
public struct LabDoorConfiguration: Hashable, Sendable {
    /// Where the daemon and the CLI look when no `--config` is given.
    public static let defaultPath = "/etc/labdoor/labdoor.toml"

    /// The site's display name.
    public var siteName: String
    /// The site's time zone, in which every decision is made.
    public var zone: SiteZone
    /// The weekly opening hours.
    public var weeklyHours: WeeklyHours
    /// Whether public holidays close the Lab.
    public var holidays: HolidayRule
    /// The access profiles by name.
    public var profiles: [String: AccessProfile]
    /// State directory and socket.
    public var paths = PathSettings()
    /// The door.
    public var door = DoorSettings()
    /// The readers.
    public var readers: [ReaderSettings] = []
    /// The alarm hook.
    public var alarms = AlarmSettings()
    /// Where clock trust comes from.
    public var clockTrust: ClockTrustSource = .system
    /// A Prometheus textfile-collector file to write metrics to, if any.
    public var metricsTextfile: String?

    /// The Lab's defaults. Throws when the system has no zone data for Europe/Helsinki.
    public static func labDefaults(file: String = "(defaults)") throws(ConfigurationError) -> LabDoorConfiguration {
        guard let zone = SiteZone(identifier: SiteZone.helsinkiIdentifier) else {
            throw ConfigurationError(
                file: file, line: nil, column: nil, key: "site.time_zone",
                message:
                    "the system has no time-zone data for \(SiteZone.helsinkiIdentifier); install the tzdata package")
        }
        return LabDoorConfiguration(
            siteName: "Työ 2.0 Lab", zone: zone, weeklyHours: .labDefault, holidays: .finland,
            profiles: AccessProfile.defaults)
    }

    /// The access policy for this configuration and the store's calendar overrides.
    public func policy(overrides: [CalendarOverride] = []) -> AccessPolicy {
        AccessPolicy(
            calendar: OpeningCalendar(zone: zone, weekly: weeklyHours, holidays: holidays, overrides: overrides),
            profiles: profiles)
    }

    /// Reads and validates the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> LabDoorConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason =
                FileManager.default.fileExists(atPath: path)
                ? "cannot be read (check its permissions and that it is UTF-8 text)"
                : "does not exist; pass --config with the path of labdoor.toml"
            throw ConfigurationError(file: path, line: nil, column: nil, key: nil, message: reason)
        }
        return try parse(text, file: path)
    }

    /// Loads `path` when given; otherwise the default path if that file exists, else the built-in defaults.
    public static func load(explicitPath path: String?) throws(ConfigurationError) -> LabDoorConfiguration {
        if let path { return try load(path: path) }
        if FileManager.default.fileExists(atPath: defaultPath) { return try load(path: defaultPath) }
        return try labDefaults()
    }

    /// Parses and validates configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> LabDoorConfiguration {
        let table: TOMLTable
        do {
            table = try TOMLParser.parse(text)
        } catch {
            throw ConfigurationError(
                file: file, line: error.position.line, column: error.position.column, key: nil,
                message: "not valid TOML: \(error.message)")
        }
        var root = TableReader(file: file, path: "", table: table, position: nil)
        var config = try labDefaults(file: file)

        if var site = try root.table("site") {
            if let name = try site.string("name") {
                guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw site.error("name", "must not be empty")
                }
                config.siteName = name
            }
            if let identifier = try site.string("time_zone") {
                do {
                    config.zone = try SiteZone(region: identifier)
                } catch {
                    throw site.error("time_zone", error.description)
                }
            }
            try site.rejectUnknownKeys(allowed: ["name", "time_zone"])
        }

        if var hours = try root.table("hours") {
            if let rule = try hours.choice("holidays", HolidayRule.allCases.map(\.rawValue)) {
                config.holidays = HolidayRule(rawValue: rule) ?? .finland
            }
            for weekday in Weekday.allCases {
                guard let texts = try hours.strings(weekday.configKey) else { continue }
                var intervals: [OpeningInterval] = []
                for text in texts {
                    guard let interval = OpeningInterval(parsing: text) else {
                        throw hours.error(
                            weekday.configKey,
                            "\"\(text)\" is not an opening interval; write \"HH:MM-HH:MM\" with start before end within one day, e.g. \"07:00-20:00\" (24:00 may end a day)"
                        )
                    }
                    intervals.append(interval)
                }
                do {
                    try config.weeklyHours.set(intervals, on: weekday)
                } catch {
                    throw hours.error(weekday.configKey, "\(error); list each open period once")
                }
            }
            try hours.rejectUnknownKeys(allowed: ["holidays"] + Weekday.allCases.map(\.configKey))
        }

        if var profiles = try root.table("profiles") {
            for name in profiles.keys {
                guard var table = try profiles.table(name) else { continue }
                guard name.allSatisfy({ $0.isLetter && $0.isASCII || $0.isASCIIDigitOrDash }), !name.isEmpty else {
                    throw profiles.error(name, "a profile name may contain only ASCII letters, digits, - and _")
                }
                var profile = AccessProfile.defaults[name] ?? .fallback(for: name)
                if let schedule = try table.choice("schedule", AccessProfile.Schedule.allCases.map(\.rawValue)) {
                    profile.schedule = AccessProfile.Schedule(rawValue: schedule) ?? .openingHours
                }
                if let value = try table.bool("requires_registration") { profile.requiresRegistration = value }
                if let value = try table.bool("lockdown_override") { profile.lockdownOverride = value }
                try table.rejectUnknownKeys(allowed: ["schedule", "requires_registration", "lockdown_override"])
                config.profiles[name] = profile
            }
        }

        try DaemonSections.parse(&root, into: &config)
        try root.rejectUnknownKeys(allowed: ["site", "hours", "profiles"] + DaemonSections.tables)
        return config
    }
}

extension Character {
    fileprivate var isASCIIDigitOrDash: Bool { ("0"..."9").contains(self) || self == "-" || self == "_" }
}

extension LabDoorConfiguration {
    /// The sections of a reloaded configuration that differ from `running` and take effect only after a
    /// restart (the paths, the readers, the door's backend or chip); everything else applies at once.
    public func restartNeeded(comparedTo running: LabDoorConfiguration) -> [String] {
        var sections: [String] = []
        if paths != running.paths { sections.append("[paths]") }
        if readers != running.readers { sections.append("[[reader]]") }
        if door.backend != running.door.backend || door.chip != running.door.chip {
            sections.append("[door] backend/chip")
        }
        return sections
    }
}
