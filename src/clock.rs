//! UTC calendar time from a `SystemTime` (the `time` crate, already in the tree under ratatui):
//! backup names, the storage API's ISO-8601 dates and a client secret's end date need it; and
//! "now" for judging a secret's expiry, which `LAKEKEEPER_SETUP_NOW` can pin (tests set a date
//! instead of waiting for one).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::{Month, OffsetDateTime};

/// Pins [`now`] to an ISO 8601 UTC time (`2027-01-31T08:09:10Z`), for tests.
pub const NOW_VAR: &str = "LAKEKEEPER_SETUP_NOW";

/// The current time, or the one `LAKEKEEPER_SETUP_NOW` names (ignored when unreadable).
pub fn now() -> SystemTime {
    std::env::var(NOW_VAR)
        .ok()
        .and_then(|t| parse_iso8601(&t))
        .unwrap_or_else(SystemTime::now)
}

/// `YYYY-MM-DDThh:mm:ss…` (UTC; fractional seconds and a trailing `Z` ignored), as Graph writes
/// a secret's `endDateTime`. `None` when it is not that form.
pub fn parse_iso8601(text: &str) -> Option<SystemTime> {
    let t = text.trim();
    let num = |a: usize, b: usize| t.get(a..b)?.parse::<u32>().ok();
    if t.len() < 19 || t.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let month = Month::try_from(u8::try_from(num(5, 7)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0, 4)?).ok()?,
        month,
        u8::try_from(num(8, 10)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(num(11, 13)?).ok()?,
        u8::try_from(num(14, 16)?).ok()?,
        u8::try_from(num(17, 19)?).ok()?,
    )
    .ok()?;
    let secs = date.with_time(clock).assume_utc().unix_timestamp();
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Whole days from `now` until `end` (negative once `end` has passed; 0 within its last day).
pub fn days_until(end: SystemTime, now: SystemTime) -> i64 {
    let secs = |t: SystemTime| match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    (secs(end) - secs(now)).div_euclid(86_400)
}

/// A UTC calendar time, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
}

pub fn utc(t: SystemTime) -> Utc {
    let t = OffsetDateTime::from(t);
    Utc {
        year: i64::from(t.year()),
        month: i64::from(u8::from(t.month())),
        day: i64::from(t.day()),
        hour: u64::from(t.hour()),
        minute: u64::from(t.minute()),
        second: u64::from(t.second()),
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` (UTC), the form Azure's APIs take and give.
pub fn iso8601(t: SystemTime) -> String {
    let t = utc(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// `t` plus `months` calendar months, as [`iso8601`]; a day the target month lacks becomes its
/// last (31 January + 1 month = 28 or 29 February), so the result is never later than asked.
pub fn iso8601_months_later(t: SystemTime, months: u32) -> String {
    let t = utc(t);
    let total = t.month - 1 + i64::from(months);
    let year = t.year + total.div_euclid(12);
    let month = u8::try_from(total.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .unwrap_or(Month::December);
    let last = i64::from(time::util::days_in_month(
        month,
        i32::try_from(year).unwrap_or(i32::MAX),
    ));
    format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        u8::from(month),
        t.day.min(last),
        t.hour,
        t.minute,
        t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn civil_dates_including_a_leap_day() {
        let at = |s| utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(
            at(0),
            Utc {
                year: 1970,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0
            }
        );
        assert_eq!(
            at(951_782_400),
            Utc {
                year: 2000,
                month: 2,
                day: 29,
                hour: 0,
                minute: 0,
                second: 0
            }
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_hours(264_384)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            at(1_795_775_696),
            Utc {
                year: 2026,
                month: 11,
                day: 27,
                hour: 10,
                minute: 34,
                second: 56
            }
        );
    }

    #[test]
    fn graph_end_dates_parse_and_days_count_down_to_zero_then_below() {
        let end = parse_iso8601("2027-01-31T08:09:10.3086381Z").expect("graph's form");
        assert_eq!(iso8601(end), "2027-01-31T08:09:10Z");
        assert_eq!(parse_iso8601("2027-02-30T00:00:00Z"), None);
        assert_eq!(parse_iso8601("yesterday"), None);
        let day = Duration::from_hours(24);
        assert_eq!(days_until(end, end - day * 45), 45);
        assert_eq!(days_until(end, end - day * 30 - Duration::from_secs(1)), 30);
        assert_eq!(days_until(end, end - Duration::from_mins(1)), 0);
        assert_eq!(days_until(end, end + Duration::from_mins(1)), -1);
    }

    #[test]
    fn months_later_keeps_the_day_or_takes_the_month_s_last() {
        // 2027-01-31T08:09:10Z
        let jan31 = UNIX_EPOCH + Duration::from_secs(1_801_382_950);
        assert_eq!(iso8601(jan31), "2027-01-31T08:09:10Z");
        assert_eq!(iso8601_months_later(jan31, 0), "2027-01-31T08:09:10Z");
        assert_eq!(iso8601_months_later(jan31, 1), "2027-02-28T08:09:10Z");
        assert_eq!(iso8601_months_later(jan31, 13), "2028-02-29T08:09:10Z");
        assert_eq!(iso8601_months_later(jan31, 3), "2027-04-30T08:09:10Z");
        assert_eq!(iso8601_months_later(jan31, 11), "2027-12-31T08:09:10Z");
        assert_eq!(iso8601_months_later(jan31, 12), "2028-01-31T08:09:10Z");
        assert_eq!(iso8601_months_later(jan31, 24), "2029-01-31T08:09:10Z");
    }
}
