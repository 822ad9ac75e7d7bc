//! Values checked as the file is read, so that a wrong one is reported with its file and
//! line (the parser's error carries them), not later as if a flag had been given.

use serde::Deserialize;
use serde::de::{Deserializer, Error};

/// A duration in humantime's words: `90s`, `30m`, `1h`, `2d`.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        D::Error::custom(format!(
            "{text:?} is not a duration ({e}): use e.g. 90s, 30m, 1h or 2d"
        ))
    })?;
    Ok(Some(text))
}

/// One of the severities: critical, high, medium, low, info.
pub fn severity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    crate::model::Severity::parse(&text).ok_or_else(|| {
        D::Error::custom(format!(
            "{text:?} is not a severity: use critical, high, medium, low or info"
        ))
    })?;
    Ok(Some(text))
}

/// A number above zero (a speed).
pub fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let n = f64::deserialize(d)?;
    if !(n.is_finite() && n > 0.0) {
        return Err(D::Error::custom(format!("{n} is not a positive number")));
    }
    Ok(Some(n))
}

/// A count of at least one (seconds between polls).
pub fn at_least_one<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let n = u64::deserialize(d)?;
    if n == 0 {
        return Err(D::Error::custom("0 is too few: at least 1"));
    }
    Ok(Some(n))
}
