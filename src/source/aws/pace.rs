//! Pacing requests to what a service allows: CloudTrail's LookupEvents takes 2 requests per
//! second per account per region. Written on tokio's clock (not a wall-clock limiter) so
//! that tests can run it under paused, auto-advancing time.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Hands out request slots at most `per_second` a second, in order of asking.
pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn new(per_second: f64) -> Self {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
            next: Mutex::new(None),
        }
    }

    /// Waits for the next free slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Pushes the next slot back (after the service said to slow down).
    pub async fn hold_off(&self, pause: Duration) {
        let mut next = self.next.lock().await;
        let until = Instant::now() + pause;
        *next = Some(next.map_or(until, |n| n.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_by_the_rate() {
        let pacer = Pacer::new(2.0);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.wait().await;
        }
        // Slots at 0, .5, 1, 1.5, 2 seconds.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn holding_off_delays_the_next_slot() {
        let pacer = Pacer::new(2.0);
        let start = Instant::now();
        pacer.wait().await;
        pacer.hold_off(Duration::from_secs(5)).await;
        pacer.wait().await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_pacer_does_not_bank_slots() {
        let pacer = Pacer::new(2.0);
        pacer.wait().await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        pacer.wait().await;
        pacer.wait().await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
    }
}
