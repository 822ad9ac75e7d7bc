//! Between the SDK's timestamps and chrono's.

use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, Utc};

pub fn to_smithy(t: DateTime<Utc>) -> SmithyTime {
    SmithyTime::from_millis(t.timestamp_millis())
}

pub fn from_smithy(t: &SmithyTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(t.to_millis().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trips_to_the_millisecond() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 12).unwrap()
            + chrono::Duration::milliseconds(345);
        assert_eq!(from_smithy(&to_smithy(t)), Some(t));
    }
}
