import LabDoorConfig
import LabDoorCore
import LabDoorTestKit
import Testing

@Suite("Configuration file")
struct ConfigurationTests {
    func parse(_ text: String) throws(ConfigurationError) -> LabDoorConfiguration {
        try LabDoorConfiguration.parse(text, file: "labdoor.toml")
    }

    func error(_ text: String) -> ConfigurationError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("an empty file gives the Lab's defaults")
    func defaults() throws {
        let config = try parse("")
        #expect(config.siteName == "Työ 2.0 Lab")
        #expect(config.zone.identifier == "Europe/Helsinki")
        #expect(config.holidays == .finland)
        #expect(config.weeklyHours == .labDefault)
        #expect(config.weeklyHours[.monday].map(\.description) == ["07:00-20:00"])
        #expect(config.weeklyHours[.saturday].isEmpty)
        #expect(Set(config.profiles.keys) == ["visitor", "member", "staff"])
    }

    @Test("a complete file is read")
    func complete() throws {
        let config = try parse(
            """
            [site]
            name = "Test Lab"
            time_zone = "Europe/Stockholm"

            [hours]
            holidays = "none"
            friday = ["07:00-12:00", "13:00-16:00"]
            saturday = ["10:00-14:00"]
            monday = []

            [profiles.staff]
            lockdown_override = false

            [profiles.contractor]
            schedule = "always"
            requires_registration = true
            """)
        #expect(config.siteName == "Test Lab")
        #expect(config.zone.identifier == "Europe/Stockholm")
        #expect(config.holidays == HolidayRule.none)
        #expect(config.weeklyHours[.friday].map(\.description) == ["07:00-12:00", "13:00-16:00"])
        #expect(config.weeklyHours[.saturday].map(\.description) == ["10:00-14:00"])
        #expect(config.weeklyHours[.monday].isEmpty)
        #expect(config.weeklyHours[.tuesday].map(\.description) == ["07:00-20:00"])
        #expect(config.profiles["staff"]?.lockdownOverride == false)
        #expect(config.profiles["staff"]?.schedule == .always)
        #expect(
            config.profiles["contractor"]
                == AccessProfile(
                    name: "contractor", schedule: .always, requiresRegistration: true, lockdownOverride: false))
    }

    @Test("every problem of a file is reported at once, in line order, each with its line and key")
    func everyProblem() throws {
        let text = """
            [site]
            name = ""
            time_zone = "UTC+02:00"
            colour = "red"

            [hours]
            friday = ["07:00-25:00"]
            saturday = ["10:00-12:00", "11:00-13:00"]

            [profiles.contractor]
            schedule = "sometimes"
            lockdown_override = "yes"

            [door]
            unlock_seconds = 0

            [[reader]]
            name = "entry"
            backend = "usb"

            [nonsense]
            """
        let error = try #require(self.error(text))
        #expect(error.all.map(\.line) == [2, 3, 4, 7, 8, 11, 12, 15, 17, 21])
        #expect(
            error.all.map(\.key) == [
                "site.name", "site.time_zone", "site.colour", "hours.friday", "hours.saturday",
                "profiles.contractor.schedule", "profiles.contractor.lockdown_override", "door.unlock_seconds",
                "reader[1]", "nonsense",
            ])
        let lines = error.description.split(separator: "\n")
        #expect(lines.count == 10 && lines.allSatisfy { $0.hasPrefix("labdoor.toml:") })
        #expect(lines[4].contains("overlap"))
    }

    @Test("a TOML syntax error names the line and column")
    func syntaxError() throws {
        let error = try #require(self.error("[site]\nname = \"Lab\"\ntime_zone = Europe/Helsinki\n"))
        #expect(error.line == 3)
        #expect(error.column != nil)
        #expect(error.description.hasPrefix("labdoor.toml:3:"))
    }

    @Test(
        "bad values name the file, line, key and what is allowed",
        arguments: [
            (
                "[hours]\nmonday = [\"7-20\"]\n", 2, "hours.monday",
                "\"7-20\" is not an opening interval; write \"HH:MM-HH:MM\""
            ),
            (
                "[hours]\n\ntuesday = [\"07:00-12:00\", \"11:00-20:00\"]\n", 3, "hours.tuesday",
                "intervals 07:00-12:00 and 11:00-20:00 overlap"
            ),
            ("[hours]\nholidays = \"sweden\"\n", 2, "hours.holidays", "use one of: \"finland\", \"none\""),
            ("[site]\ntime_zone = \"Europe/Helsingfors\"\n", 2, "site.time_zone", "not a known IANA time zone"),
            // Fixed offsets and abbreviations would ignore summer time: half the year an hour off.
            ("[site]\ntime_zone = \"UTC+02:00\"\n", 2, "site.time_zone", "a fixed offset or an abbreviation"),
            ("[site]\ntime_zone = \"GMT+2\"\n", 2, "site.time_zone", "name the region, e.g. \"Europe/Helsinki\""),
            ("[site]\ntime_zone = \"EET\"\n", 2, "site.time_zone", "a fixed offset or an abbreviation"),
            ("[site]\ntime_zone = \"Etc/GMT-2\"\n", 2, "site.time_zone", "a fixed offset or an abbreviation"),
            ("[site]\ntime_zone = \"+02:00\"\n", 2, "site.time_zone", "a fixed offset or an abbreviation"),
            ("[site]\ntime_zone = \"UTC\"\n", 2, "site.time_zone", "a fixed offset or an abbreviation"),
            ("[site]\nname = 5\n", 2, "site.name", "expected a string, found integer"),
            (
                "[profiles.visitor]\nschedule = \"weekdays\"\n", 2, "profiles.visitor.schedule",
                "use one of: \"opening-hours\", \"always\""
            ),
            (
                "[profiles.visitor]\nrequires_registration = \"yes\"\n", 2, "profiles.visitor.requires_registration",
                "expected true or false"
            ),
            ("[hours]\nwednesday = \"07:00-20:00\"\n", 2, "hours.wednesday", "expected an array of strings"),
            ("[hours]\nthursday = [7]\n", 2, "hours.thursday", "item 1 must be a string"),
            ("[door]\nbackend = \"gpio\"\nchip = \"0\"\n", 3, "door.chip", "chip numbers change between kernels"),
            ("[door]\nbackend = \"gpio\"\nchip = \"gpiochip0\"\n", 1, "door", "needs relay_line"),
            ("[[reader]]\nname = \"entry\"\nbackend = \"fifo\"\n", 1, "reader[1]", "needs path"),
            (
                "[[reader]]\nname = \"entry\"\nbackend = \"usb\"\nusb = \"12:34\"\n", 4, "reader[1].usb",
                "write vid:pid in hex"
            ),
            (
                "[alarms]\ncommand = \"notify\"\nsocket = \"/run/labdoor-alarm/alarm.sock\"\n", 3, "alarms.socket",
                "set command or socket, not both"
            ),
            // What --check-config let through and the daemon only found at run time (or never).
            (
                "[[reader]]\nname = \"a\"\nbackend = \"fifo\"\npath = \"/run/x.fifo\"\n[[reader]]\nname = \"b\"\nbackend = \"fifo\"\npath = \"/run/x.fifo\"\n",
                8, "reader[2].path", "reader \"a\" reads /run/x.fifo already"
            ),
            (
                "[paths]\nsocket = \"/run/labdoor/c.sock\"\n[[reader]]\nname = \"a\"\nbackend = \"fifo\"\npath = \"/run/labdoor/c.sock\"\n",
                6, "reader[1].path", "is the control socket"
            ),
            (
                "[paths]\nsocket = \"/run/\(String(repeating: "s", count: 110)).sock\"\n", 2, "paths.socket",
                "longer than the 107 bytes"
            ),
            ("[paths]\nstate_dir = \"/\"\n", 2, "paths.state_dir", "a directory of its own"),
            ("[paths]\nstate_dir = \"/var/lib/../..\"\n", 2, "paths.state_dir", "without . or .."),
            (
                "[[reader]]\nname = \"a\"\nbackend = \"usb\"\nusb = \"ffff:0035\"\nport = \"---\"\n", 5,
                "reader[1].port", "not a USB port path"
            ),
            (
                "[[reader]]\nname = \"a\"\nbackend = \"usb\"\nusb = \"ffff:0035\"\nport = \"1-1..2\"\n", 5,
                "reader[1].port", "not a USB port path"
            ),
            (
                "[[reader]]\nname = \"a\"\nbackend = \"usb\"\nusb = \"ffff:0035\"\n[[reader]]\nname = \"b\"\nbackend = \"usb\"\nusb = \"ffff:0035\"\n",
                8, "reader[2].usb", "set port (or serial) on both"
            ),
            ("[[reader]]\nname = \"nfc\"\nbackend = \"ccid\"\n", 1, "reader[1]", "needs usb = \"vid:pid\""),
            (
                "[[reader]]\nname = \"nfc\"\nbackend = \"ccid\"\nusb = \"072f:2200\"\nuid_format = \"octal\"\n", 5,
                "reader[1].uid_format", "\"hex\", \"hex-reversed\", \"decimal\", \"decimal-reversed\""
            ),
            (
                "[[reader]]\nname = \"a\"\nbackend = \"usb\"\nusb = \"ffff:0035\"\nuid_format = \"decimal\"\n", 5,
                "reader[1].uid_format", "for backend = \"ccid\" readers"
            ),
            (
                "[[reader]]\nname = \"a\"\nbackend = \"usb\"\nusb = \"072f:2200\"\n[[reader]]\nname = \"b\"\nbackend = \"ccid\"\nusb = \"072f:2200\"\n",
                8, "reader[2].usb", "set port (or serial) on both"
            ),
            (
                "[door]\nbackend = \"gpio\"\nchip = \"gpiochip0\"\nrelay_line = 17\ncontact_line = 17\n", 5,
                "door.contact_line", "is relay_line already"
            ),
            (
                "[door]\nbackend = \"gpio\"\nchip = \"gpiochip0\"\nrelay_line = \"RELAY\"\nexit_line = \"RELAY\"\n", 5,
                "door.exit_line", "is relay_line already"
            ),
        ] as [(String, Int, String, String)])
    func badValues(text: String, line: Int, key: String, message: String) throws {
        let error = try #require(self.error(text))
        #expect(error.line == line)
        #expect(error.key == key)
        #expect(error.message.contains(message), "\(error)")
        #expect(error.description.hasPrefix("labdoor.toml:\(line): \(key): "))
    }

    @Test(
        "unknown keys are rejected, never ignored",
        arguments: [
            ("[site]\nname = \"Lab\"\ntimezone = \"UTC\"\n", 3, "site.timezone", "allowed: name, time_zone"),
            ("[hourz]\nmonday = []\n", 1, "hourz", "allowed: site, hours, profiles"),
            ("[hours]\nmon = []\n", 2, "hours.mon", "allowed: holidays, monday"),
            ("[profiles.staff]\nlockdown = true\n", 2, "profiles.staff.lockdown", "allowed: schedule"),
            ("title = \"x\"\n", 1, "title", "unknown key at the top level"),
        ] as [(String, Int, String, String)])
    func unknownKeys(text: String, line: Int, key: String, message: String) throws {
        let error = try #require(self.error(text))
        #expect(error.key == key)
        #expect(error.line == line)
        #expect(error.message.contains(message), "\(error)")
    }

    @Test("an NFC reader: backend = \"ccid\" with its vid:pid and uid_format (hex by default)")
    func ccidReader() throws {
        let config = try parse(
            """
            [[reader]]
            name = "exit-nfc"
            backend = "ccid"
            usb = "072f:2200"
            uid_format = "decimal-reversed"
            port = "1-1.2"

            [[reader]]
            name = "entry-nfc"
            backend = "ccid"
            usb = "072f:2200"
            port = "1-1.3"
            """)
        #expect(config.readers.map(\.backend) == [.ccid, .ccid])
        #expect(config.readers.map(\.uidFormat) == [.decimalReversed, .hex])
        #expect(config.readers.first?.vendorID == 0x072F && config.readers.first?.productID == 0x2200)
        #expect(
            self.error(
                "[[reader]]\nname = \"a\"\nbackend = \"ccid\"\nusb = \"072f:2200\"\nport = \"1-1\"\n[[reader]]\nname = \"b\"\nbackend = \"ccid\"\nusb = \"072f:2200\"\nport = \"1-2\"\n"
            ) == nil)
    }

    @Test("a missing file says so and what to pass")
    func missingFile() {
        #expect(throws: ConfigurationError.self) { try LabDoorConfiguration.load(path: "/nonexistent/labdoor.toml") }
        do {
            _ = try LabDoorConfiguration.load(path: "/nonexistent/labdoor.toml")
        } catch {
            #expect(
                error.description
                    == "/nonexistent/labdoor.toml: does not exist; pass --config with the path of labdoor.toml")
        }
    }

    @Test("a control character is rejected with its position")
    func controlCharacter() throws {
        let error = try #require(self.error("[site]\nname = \"a\u{07}\"\n"))
        #expect(error.line == 2 && error.column == 10)
        #expect(error.message.contains("control character U+0007"))
    }

    @Test(
        "a table header without a name is an error, not a crash",
        arguments: ["[ =]\n", "[site]\n[\t{\n", "[[ ,]]\n", "x = 1\n[ é]\n", "[\u{07}]\n"])
    func namelessHeader(text: String) throws {
        // TOMLKit's toml++ aborted the process on these; found by the fuzz test below.
        let error = try #require(self.error(text))
        #expect(error.line != nil && error.column != nil)
        #expect(error.message.hasPrefix("not valid TOML"))
    }

    @Test("headers and brackets inside strings, comments and multi-line arrays are not mistaken for headers")
    func notHeaders() throws {
        let config = try parse(
            #"""
            # [ = not a header
            [site]
            name = """
            [ =
            """
            [hours]
            monday = [
              "07:00-12:00",
              "13:00-20:00", # [ ,
            ]
            """#)
        #expect(config.siteName == "[ =\n")
        #expect(config.weeklyHours[.monday].count == 2)
    }

    static let validFile = """
        [site]
        name = "Test Lab"
        time_zone = "Europe/Helsinki"
        [hours]
        holidays = "finland"
        friday = ["07:00-12:00", "13:00-16:00"]
        [profiles.contractor]
        schedule = "always"
        requires_registration = true
        lockdown_override = false
        """

    @Test(
        "random and mutated files never crash the parser; every error names a line of the file",
        arguments: [UInt64(1), 2, 3, 4])
    func fuzz(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let alphabet = Array("[]{}=\"'.,#-_:0123456789abcdefxyz \t\n\r\u{0}\u{7}\u{1B}\u{7F}é€\\")
        var accepted = 0
        var rejected = 0
        func check(_ text: String) {
            // Lines as the parser counts them: each LF scalar ends one (a CRLF is one Character in Swift, so count
            // scalars, not Characters).
            let lines = text.unicodeScalars.count { $0 == "\n" } + 1
            do {
                let config = try parse(text)
                #expect(!config.siteName.isEmpty && !config.profiles.isEmpty, "seed \(seed): \(text.debugDescription)")
                accepted += 1
            } catch {
                rejected += 1
                #expect(error.file == "labdoor.toml")
                if let line = error.line {
                    #expect((1...lines).contains(line), "seed \(seed): line \(line) of \(lines): \(error)")
                }
                #expect(!error.message.isEmpty)
            }
        }
        for _ in 0..<1500 {
            var text = Array(Self.validFile)
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let position = Int.random(in: 0...text.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: text.insert(alphabet.randomElement(using: &rng) ?? "[", at: position)
                case 1: if position < text.count { text.remove(at: position) }
                default: if position < text.count { text[position] = alphabet.randomElement(using: &rng) ?? "]" }
                }
            }
            check(String(text))
            let noise = (0..<Int.random(in: 0..<80, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? " "
            }
            check(String(noise))
        }
        // Both outcomes happen, so the loop exercised the parser's error paths and its happy path.
        #expect(accepted > 20 && rejected > 500, "accepted \(accepted), rejected \(rejected)")
    }
}
