import LabDoorCore
import LabDoorTestKit
import Testing

@Suite("Finnish public holidays")
struct FinnishHolidaysTests {
    // Reference dates from an independent implementation (python-dateutil's easter()).
    @Test(
        "Easter Sunday matches published dates",
        arguments: [
            (1900, "1900-04-15"), (1913, "1913-03-23"), (1926, "1926-04-04"), (1939, "1939-04-09"),
            (1943, "1943-04-25"), (1952, "1952-04-13"), (1965, "1965-04-18"), (1978, "1978-03-26"),
            (1991, "1991-03-31"), (2004, "2004-04-11"), (2008, "2008-03-23"), (2011, "2011-04-24"),
            (2017, "2017-04-16"), (2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"),
            (2027, "2027-03-28"), (2030, "2030-04-21"), (2038, "2038-04-25"), (2043, "2043-03-29"),
            (2056, "2056-04-02"), (2069, "2069-04-14"), (2082, "2082-04-19"), (2095, "2095-04-24"),
            (2108, "2108-04-01"), (2121, "2121-04-06"), (2134, "2134-04-11"), (2147, "2147-04-16"),
            (2160, "2160-03-23"), (2173, "2173-04-04"), (2186, "2186-04-09"), (2199, "2199-04-14"),
            (2200, "2200-04-06"),
        ])
    func easter(year: Int, expected: String) {
        #expect(FinnishHolidays.easterSunday(year: year) == Fixtures.date(expected))
    }

    @Test("every rule holds for every year 1900–2200")
    func rulesForEveryYear() throws {
        for year in 1900...2200 {
            let holidays = FinnishHolidays.holidays(in: year)
            let byName = Dictionary(uniqueKeysWithValues: holidays.map { ($0.name, $0.date) })
            #expect(holidays.count == 15, "year \(year)")
            // Only Ascension Day can fall on another holiday: May Day, when Easter is 22 or 23 March (2008).
            let distinct = Set(holidays.filter { $0.name != "Ascension Day" }.map(\.date))
            #expect(distinct.count == 14, "year \(year): two holidays on one date")
            #expect(holidays.allSatisfy { $0.date.year == year })

            let easter = try #require(byName["Easter Sunday"])
            #expect(easter.weekday == .sunday)
            #expect(easter >= Fixtures.date("\(year)-03-22") && easter <= Fixtures.date("\(year)-04-25"))
            #expect(byName["Good Friday"] == easter.adding(days: -2))
            #expect(byName["Easter Monday"] == easter.adding(days: 1))
            #expect(byName["Ascension Day"] == easter.adding(days: 39))
            #expect(byName["Ascension Day"]?.weekday == .thursday)
            #expect(byName["Whit Sunday"] == easter.adding(days: 49))

            let eve = try #require(byName["Midsummer Eve"])
            #expect(eve.weekday == .friday && eve.month == 6 && (19...25).contains(eve.day), "year \(year)")
            let midsummer = try #require(byName["Midsummer Day"])
            #expect(midsummer.weekday == .saturday && midsummer == eve.adding(days: 1))

            let allSaints = try #require(byName["All Saints' Day"])
            #expect(allSaints.weekday == .saturday, "year \(year)")
            #expect(allSaints >= Fixtures.date("\(year)-10-31") && allSaints <= Fixtures.date("\(year)-11-06"))

            let fixed: [(String, Int, Int)] = [
                ("New Year's Day", 1, 1), ("Epiphany", 1, 6), ("May Day", 5, 1), ("Independence Day", 12, 6),
                ("Christmas Eve", 12, 24), ("Christmas Day", 12, 25), ("St Stephen's Day", 12, 26),
            ]
            for (name, month, day) in fixed {
                #expect(byName[name] == LocalDate(year: year, month: month, day: day), "\(name) \(year)")
            }
        }
    }

    @Test("in 2008 Ascension Day fell on May Day")
    func ascensionOnMayDay() {
        let may1 = FinnishHolidays.holidays(in: 2008).filter { $0.date == Fixtures.date("2008-05-01") }
        #expect(may1.map(\.name).sorted() == ["Ascension Day", "May Day"])
    }

    @Test("the 2027 calendar, day by day")
    func calendar2027() {
        let expected = [
            "2027-01-01 New Year's Day", "2027-01-06 Epiphany", "2027-03-26 Good Friday", "2027-03-28 Easter Sunday",
            "2027-03-29 Easter Monday", "2027-05-01 May Day", "2027-05-06 Ascension Day", "2027-05-16 Whit Sunday",
            "2027-06-25 Midsummer Eve", "2027-06-26 Midsummer Day", "2027-11-06 All Saints' Day",
            "2027-12-06 Independence Day", "2027-12-24 Christmas Eve", "2027-12-25 Christmas Day",
            "2027-12-26 St Stephen's Day",
        ]
        #expect(FinnishHolidays.holidays(in: 2027).map(\.description) == expected)
    }

    @Test(
        "Midsummer Eve and All Saints' Day at the edges of their windows",
        arguments: [
            // Midsummer Eve on 19 June (earliest) and 25 June (latest); All Saints' on 31 Oct and 6 Nov.
            ("2026-06-19", "Midsummer Eve"), ("2027-06-25", "Midsummer Eve"), ("2026-10-31", "All Saints' Day"),
            ("2027-11-06", "All Saints' Day"), ("2032-06-25", "Midsummer Eve"), ("2037-10-31", "All Saints' Day"),
        ])
    func windowEdges(date: String, name: String) {
        #expect(FinnishHolidays.holiday(on: Fixtures.date(date))?.name == name)
    }
}
