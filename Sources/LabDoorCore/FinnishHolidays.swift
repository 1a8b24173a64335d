/// A public holiday: a date with its English and Finnish names.
public struct Holiday: Hashable, Sendable, CustomStringConvertible {
    /// The date.
    public let date: LocalDate
    /// The English name, e.g. "Midsummer Eve" (used in output and explanations).
    public let name: String
    /// The Finnish name, e.g. "Juhannusaatto".
    public let finnishName: String

    /// `YYYY-MM-DD name`.
    public var description: String { "\(date) \(name)" }
}

/// The Finnish public-holiday calendar, computed for any year.
///
/// The rules are today's (in force since 1991) applied to every year; the calendar is meant for deciding access
/// now and in the future, and a past year is shown as it would be under today's rules. Days and rules:
/// New Year's Day (1 Jan), Epiphany (6 Jan), Good Friday, Easter Sunday and Monday (Gregorian Easter), May Day
/// (1 May), Ascension Day (Easter + 39), Whit Sunday (Easter + 49), Midsummer Eve (the Friday 19–25 June),
/// Midsummer Day (the Saturday 20–26 June), All Saints' Day (the Saturday 31 October – 6 November),
/// Independence Day (6 Dec), Christmas Eve (24 Dec), Christmas Day (25 Dec) and St Stephen's Day (26 Dec).
public enum FinnishHolidays {
    /// The holidays of `year`, in date order.
    public static func holidays(in year: Int) -> [Holiday] {
        let easter = easterSunday(year: year)
        func fixed(_ month: Int, _ day: Int) -> LocalDate {
            LocalDate(dayNumber: LocalDate.dayNumber(year: year, month: month, day: day))
        }
        func first(_ weekday: Weekday, from start: LocalDate) -> LocalDate {
            let delta = (weekday.rawValue - start.weekday.rawValue + 7) % 7
            return start.adding(days: delta)
        }
        let midsummerEve = first(.friday, from: fixed(6, 19))
        let list = [
            Holiday(date: fixed(1, 1), name: "New Year's Day", finnishName: "Uudenvuodenpäivä"),
            Holiday(date: fixed(1, 6), name: "Epiphany", finnishName: "Loppiainen"),
            Holiday(date: easter.adding(days: -2), name: "Good Friday", finnishName: "Pitkäperjantai"),
            Holiday(date: easter, name: "Easter Sunday", finnishName: "Pääsiäispäivä"),
            Holiday(date: easter.adding(days: 1), name: "Easter Monday", finnishName: "2. pääsiäispäivä"),
            Holiday(date: fixed(5, 1), name: "May Day", finnishName: "Vappu"),
            Holiday(date: easter.adding(days: 39), name: "Ascension Day", finnishName: "Helatorstai"),
            Holiday(date: easter.adding(days: 49), name: "Whit Sunday", finnishName: "Helluntaipäivä"),
            Holiday(date: midsummerEve, name: "Midsummer Eve", finnishName: "Juhannusaatto"),
            Holiday(date: midsummerEve.adding(days: 1), name: "Midsummer Day", finnishName: "Juhannuspäivä"),
            Holiday(date: first(.saturday, from: fixed(10, 31)), name: "All Saints' Day", finnishName: "Pyhäinpäivä"),
            Holiday(date: fixed(12, 6), name: "Independence Day", finnishName: "Itsenäisyyspäivä"),
            Holiday(date: fixed(12, 24), name: "Christmas Eve", finnishName: "Jouluaatto"),
            Holiday(date: fixed(12, 25), name: "Christmas Day", finnishName: "Joulupäivä"),
            Holiday(date: fixed(12, 26), name: "St Stephen's Day", finnishName: "Tapaninpäivä"),
        ]
        return list.sorted { $0.date < $1.date }
    }

    /// The holiday on `date`, if any.
    public static func holiday(on date: LocalDate) -> Holiday? {
        holidays(in: date.year).first { $0.date == date }
    }

    /// Western (Gregorian) Easter Sunday of `year`: the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    public static func easterSunday(year: Int) -> LocalDate {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return LocalDate(dayNumber: LocalDate.dayNumber(year: year, month: month, day: day))
    }
}
