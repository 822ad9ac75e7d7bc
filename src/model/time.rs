//! Reading and writing times: one parser for CloudTrail's `eventTime`, the journal's column,
//! Security Hub's timestamps and times typed on the command line or in the console.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// The years an event's time can fall in: CloudTrail began recording in November 2013, and
/// a time past this century is a placeholder, not an event.
pub const RECORDED_YEARS: std::ops::RangeInclusive<i32> = 2013..=2099;

/// A time in any form warroom meets: RFC 3339 (the common case, tried first), the offsets
/// ASFF also allows (`-0700`, `+05`), no offset at all (read as UTC), a space for the `T`
/// and ` UTC` for the `Z` as SIEMs and spreadsheets export them (`2019-01-01 00:00:00`),
/// or a bare date (midnight UTC). Surrounding spaces are ignored.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // `2019-01-01 00:00:00[.fff][ UTC|Z|±hh:mm]` → the `T` form.
    let exported;
    let s = match s.as_bytes().get(10) {
        Some(b' ') if s.len() > 11 => {
            let rest = s[11..].trim_end();
            let rest = rest
                .strip_suffix(" UTC")
                .or(rest.strip_suffix("UTC"))
                .map_or_else(|| rest.replace(' ', ""), |r| format!("{}Z", r.trim_end()));
            exported = format!("{}T{rest}", &s[..10]);
            exported.as_str()
        }
        _ => s,
    };
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%#z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
}

/// [`parse`] for a time a person typed: the error says what is accepted.
pub fn parse_given(s: &str) -> Result<DateTime<Utc>, String> {
    parse(s).ok_or_else(|| {
        format!("{s:?} is not a time: use RFC 3339 (2026-11-22T07:37:00Z) or a date (2026-11-22)")
    })
}

/// [`parse_given`], or a duration (`2h`, `30m`, `7d`, `1h30m`) meaning that long before
/// `now`, as `aws logs tail --since` and k9s take it.
pub fn parse_given_or_ago(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(t) = parse(s) {
        return Ok(t);
    }
    let ago = humantime::parse_duration(s.trim())
        .ok()
        .and_then(|d| chrono::Duration::from_std(d).ok());
    match ago {
        Some(d) => Ok(now - d),
        None => Err(format!(
            "{s:?} is not a time: use RFC 3339 (2026-11-22T07:37:00Z), a date (2026-11-22), or how long ago (2h, 30m, 7d)"
        )),
    }
}

/// A time as the journal stores it: RFC 3339, milliseconds, `Z`.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_time_may_be_how_long_ago() {
        let now = parse("2026-12-01T12:00:00Z").unwrap();
        assert_eq!(
            parse_given_or_ago("2h", now).unwrap(),
            parse("2026-12-01T10:00:00Z").unwrap()
        );
        assert_eq!(
            parse_given_or_ago("1h30m", now).unwrap(),
            parse("2026-12-01T10:30:00Z").unwrap()
        );
        assert_eq!(
            parse_given_or_ago("2026-11-22", now).unwrap(),
            parse("2026-11-22T00:00:00Z").unwrap()
        );
        assert!(
            parse_given_or_ago("a fortnight", now)
                .unwrap_err()
                .contains("how long ago (2h, 30m, 7d)")
        );
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn every_form_met_is_read() {
        let cases = [
            ("2019-01-31T23:00:00Z", "2019-01-31T23:00:00Z"),
            (
                "2019-01-31T23:00:00.123456789Z",
                "2019-01-31T23:00:00.123456789Z",
            ),
            ("2024-01-04T15:25:10+17:59", "2024-01-03T21:26:10Z"),
            ("2024-01-04T15:25:10-1759", "2024-01-05T09:24:10Z"),
            ("2024-01-04T15:25:10+05", "2024-01-04T10:25:10Z"),
            ("2024-01-04T15:25:10", "2024-01-04T15:25:10Z"),
            (" 2024-01-04T15:25:10Z ", "2024-01-04T15:25:10Z"),
            ("2026-11-22", "2026-11-22T00:00:00Z"),
            // As SIEMs and exports write them.
            ("2019-01-01 00:00:00", "2019-01-01T00:00:00Z"),
            ("2019-01-01 00:00:00.250", "2019-01-01T00:00:00.250Z"),
            ("2019-01-01 00:00:00 UTC", "2019-01-01T00:00:00Z"),
            ("2019-01-01 00:00:00.5Z", "2019-01-01T00:00:00.500Z"),
            ("2019-01-01 02:00:00+02:00", "2019-01-01T00:00:00Z"),
            ("2019-01-01 02:00:00 +0200", "2019-01-01T00:00:00Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Some(at(expected)), "{input}");
        }
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse(""), None);
        assert!(parse_given("yesterday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn the_journal_form_round_trips_at_millisecond_precision() {
        let t = at("2026-11-22T07:37:12.345678Z");
        assert_eq!(format(t), "2026-11-22T07:37:12.345Z");
        assert_eq!(parse(&format(t)), Some(at("2026-11-22T07:37:12.345Z")));
    }
}
