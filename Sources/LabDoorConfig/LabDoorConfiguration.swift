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
    /// How long events are kept at least: `audit purge` refuses a younger cut-off unless forced.
    public var retentionDays = 365

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
    public func policy(overrides: [CalendarOverride] = [], weekdays: [StoredWeekdayHours] = []) -> AccessPolicy {
        AccessPolicy(
            calendar: OpeningCalendar(
                zone: zone, weekly: weeklyHours.overridden(by: weekdays), holidays: holidays, overrides: overrides),
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

    /// Parses and validates configuration text; `file` names it in errors. Every problem of the file is
    /// reported (the error's `others`), not only the first — unless the text is not TOML at all.
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
        var problems = ProblemCollector()

        problems.check { () throws(ConfigurationError) in
            guard var site = try root.table("site") else { return }
            var inner = ProblemCollector()
            inner.check { () throws(ConfigurationError) in
                guard let name = try site.string("name") else { return }
                guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw site.error("name", "must not be empty")
                }
                config.siteName = name
            }
            inner.check { () throws(ConfigurationError) in
                guard let identifier = try site.string("time_zone") else { return }
                do throws(SiteZone.IdentifierError) {
                    config.zone = try SiteZone(region: identifier)
                } catch {
                    throw site.error("time_zone", error.description)
                }
            }
            inner.check { () throws(ConfigurationError) in try site.rejectUnknownKeys(allowed: ["name", "time_zone"]) }
            try inner.finish()
        }

        problems.check { () throws(ConfigurationError) in
            guard var hours = try root.table("hours") else { return }
            var inner = ProblemCollector()
            inner.check { () throws(ConfigurationError) in
                if let rule = try hours.choice("holidays", HolidayRule.allCases.map(\.rawValue)) {
                    config.holidays = HolidayRule(rawValue: rule) ?? .finland
                }
            }
            for weekday in Weekday.allCases {
                inner.check { () throws(ConfigurationError) in
                    try parseWeekday(weekday, &hours, into: &config.weeklyHours)
                }
            }
            inner.check { () throws(ConfigurationError) in
                try hours.rejectUnknownKeys(allowed: ["holidays"] + Weekday.allCases.map(\.configKey))
            }
            try inner.finish()
        }

        problems.check { () throws(ConfigurationError) in
            guard var profiles = try root.table("profiles") else { return }
            var inner = ProblemCollector()
            for name in profiles.keys {
                inner.check { () throws(ConfigurationError) in
                    guard let profile = try parseProfile(name, &profiles) else { return }
                    config.profiles[name] = profile
                }
            }
            try inner.finish()
        }

        DaemonSections.parse(&root, into: &config, &problems)
        problems.check { () throws(ConfigurationError) in
            try root.rejectUnknownKeys(allowed: ["site", "hours", "profiles"] + DaemonSections.tables)
        }
        try problems.finish()
        return config
    }

    private static func parseWeekday(
        _ weekday: Weekday, _ hours: inout TableReader, into weekly: inout WeeklyHours
    ) throws(ConfigurationError) {
        guard let texts = try hours.strings(weekday.configKey) else { return }
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
            try weekly.set(intervals, on: weekday)
        } catch {
            throw hours.error(weekday.configKey, "\(error); list each open period once")
        }
    }

    private static func parseProfile(
        _ name: String, _ profiles: inout TableReader
    ) throws(ConfigurationError) -> AccessProfile? {
        guard var table = try profiles.table(name) else { return nil }
        guard name.allSatisfy({ $0.isLetter && $0.isASCII || $0.isASCIIDigitOrDash }), !name.isEmpty else {
            throw profiles.error(name, "a profile name may contain only ASCII letters, digits, - and _")
        }
        var profile = AccessProfile.defaults[name] ?? .fallback(for: name)
        var problems = ProblemCollector()
        problems.check { () throws(ConfigurationError) in
            if let schedule = try table.choice("schedule", AccessProfile.Schedule.allCases.map(\.rawValue)) {
                profile.schedule = AccessProfile.Schedule(rawValue: schedule) ?? .openingHours
            }
        }
        problems.check { () throws(ConfigurationError) in
            if let value = try table.bool("requires_registration") { profile.requiresRegistration = value }
        }
        problems.check { () throws(ConfigurationError) in
            if let value = try table.bool("lockdown_override") { profile.lockdownOverride = value }
        }
        problems.check { () throws(ConfigurationError) in
            try table.rejectUnknownKeys(allowed: ["schedule", "requires_registration", "lockdown_override"])
        }
        try problems.finish()
        return profile
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
