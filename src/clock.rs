//! The incident's clock: real time in live mode, a compressed virtual time in the demo.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::time::Instant;

/// Anything that tells the time. Shared by the world, the executor and the UI so that all
/// records of one incident are stamped on one clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Time that starts at `origin` and runs `speed` times faster than the wall clock.
pub struct VirtualClock {
    origin: DateTime<Utc>,
    started: Instant,
    speed: f64,
}

impl VirtualClock {
    pub fn new(origin: DateTime<Utc>, speed: f64) -> Self {
        VirtualClock {
            origin,
            started: Instant::now(),
            speed: speed.max(0.0),
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        let real = self.started.elapsed().as_secs_f64() * self.speed;
        self.origin + Duration::microseconds((real * 1e6) as i64)
    }
}

/// A clock standing still at a given instant, for tests and for replaying a closed incident.
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn virtual_clock_runs_faster_than_the_wall() {
        let origin = Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 0).unwrap();
        let clock = VirtualClock::new(origin, 1000.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let elapsed = clock.now() - origin;
        // At least 20 ms × 1000 = 20 s of virtual time passed; no upper bound (slow machines).
        assert!(elapsed >= Duration::seconds(20), "{elapsed}");
    }
}

/// The time of the latest record seen: for a process that follows a journal written on
/// another clock (the bridge following a demo's compressed time), so its own records fall
/// in the same story.
#[derive(Default)]
pub struct JournalClock {
    millis: std::sync::atomic::AtomicI64,
}

impl JournalClock {
    pub fn saw(&self, t: DateTime<Utc>) {
        self.millis
            .fetch_max(t.timestamp_millis(), std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clock for JournalClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(std::sync::atomic::Ordering::Relaxed))
            .unwrap_or_default()
    }
}
