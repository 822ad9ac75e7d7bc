//! The replay clock: where a recorded incident is being watched from, and how fast it moves.
//! Pure: the wall clock comes in with each tick, and moving the clock says whether anything
//! on screen has to change.

use chrono::{DateTime, Duration, Utc};

/// The speeds `faster` and `slower` step through.
pub const SPEEDS: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

#[derive(Debug, Clone, PartialEq)]
pub struct ReplayClock {
    /// Before anything happened.
    pub start: DateTime<Utc>,
    /// When the last thing happened.
    pub end: DateTime<Utc>,
    /// The moment the panes show.
    pub at: DateTime<Utc>,
    pub playing: bool,
    /// Recorded seconds per wall-clock second.
    pub speed: f64,
    /// The wall clock at the last tick while playing.
    last_wall: Option<DateTime<Utc>>,
}

impl ReplayClock {
    /// A clock over `start..=end`, paused at `at`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, at: DateTime<Utc>, speed: f64) -> Self {
        let end = end.max(start);
        ReplayClock {
            start,
            end,
            at: at.clamp(start, end),
            playing: false,
            speed: speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]),
            last_wall: None,
        }
    }

    /// Moves the clock on by the wall time since the last tick times the speed. Stops at the
    /// end. Returns whether the clock moved.
    pub fn tick(&mut self, wall: DateTime<Utc>) -> bool {
        if !self.playing {
            self.last_wall = None;
            return false;
        }
        let Some(last) = self.last_wall.replace(wall) else {
            return false;
        };
        let elapsed_ms = (wall - last).num_milliseconds().max(0) as f64;
        let step = Duration::milliseconds((elapsed_ms * self.speed) as i64);
        let before = self.at;
        self.at = (self.at + step).min(self.end);
        if self.at >= self.end {
            self.playing = false;
            self.last_wall = None;
        }
        self.at != before
    }

    /// Play or pause; playing from the end starts again from the beginning. Returns whether
    /// the clock jumped.
    pub fn toggle(&mut self) -> bool {
        self.playing = !self.playing;
        self.last_wall = None;
        if self.playing && self.at >= self.end {
            self.at = self.start;
            return true;
        }
        false
    }

    pub fn faster(&mut self) {
        self.speed = SPEEDS
            .iter()
            .copied()
            .find(|&s| s > self.speed)
            .unwrap_or(SPEEDS[SPEEDS.len() - 1]);
    }

    pub fn slower(&mut self) {
        self.speed = SPEEDS
            .iter()
            .rev()
            .copied()
            .find(|&s| s < self.speed)
            .unwrap_or(SPEEDS[0]);
    }

    /// Puts the clock at `t` (kept inside the recording). Returns whether it moved.
    pub fn seek(&mut self, t: DateTime<Utc>) -> bool {
        let before = self.at;
        self.at = t.clamp(self.start, self.end);
        self.last_wall = None;
        self.at != before
    }

    /// Lets the recording grow (an archive still loading).
    pub fn extend(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) {
        let following = self.at >= self.end;
        self.start = self.start.min(start);
        self.end = self.end.max(end);
        if following && !self.playing {
            self.at = self.end;
        }
    }

    /// How far through the recording the clock is, 0 to 1.
    pub fn fraction(&self) -> f64 {
        let span = (self.end - self.start).num_milliseconds();
        if span <= 0 {
            return 1.0;
        }
        (self.at - self.start).num_milliseconds() as f64 / span as f64
    }
}

/// Parses a speed, `50` or `50x`, from 1 to 1000.
pub fn parse_speed(text: &str) -> Option<f64> {
    text.trim_end_matches(['x', '×'])
        .parse::<f64>()
        .ok()
        .filter(|v| (SPEEDS[0]..=SPEEDS[SPEEDS.len() - 1]).contains(v))
}

/// Parses where to jump: `start`, `end`, `+5m` / `-30s` from the clock, an RFC 3339 time,
/// a date, or `HH:MM[:SS]` on the day the clock shows (UTC).
pub fn parse_jump(text: &str, clock: &ReplayClock) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    match text {
        "start" | "begin" => return Ok(clock.start),
        "end" => return Ok(clock.end),
        _ => {}
    }
    if let Some(rest) = text.strip_prefix('+').or_else(|| text.strip_prefix('-')) {
        let d = humantime::parse_duration(rest)
            .map_err(|e| format!("{text:?}: {e} (try +5m, -30s, 07:45, or a full time)"))?;
        let d = Duration::from_std(d).map_err(|e| e.to_string())?;
        return Ok(if text.starts_with('+') {
            clock.at + d
        } else {
            clock.at - d
        });
    }
    if let Ok(t) = chrono::NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(text, "%H:%M"))
    {
        return Ok(clock.at.date_naive().and_time(t).and_utc());
    }
    crate::model::time::parse_given(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn clock() -> ReplayClock {
        ReplayClock::new(
            t("2026-11-22T07:00:00Z"),
            t("2026-11-22T08:00:00Z"),
            t("2026-11-22T08:00:00Z"),
            10.0,
        )
    }

    #[test]
    fn playing_moves_the_clock_by_wall_time_times_speed_and_stops_at_the_end() {
        let mut c = clock();
        assert!(c.toggle(), "playing from the end starts again");
        assert_eq!(c.at, c.start);
        let wall = t("2030-01-01T00:00:00Z");
        assert!(!c.tick(wall), "the first tick only sets the pace");
        assert!(c.tick(wall + Duration::seconds(3)));
        assert_eq!(c.at, t("2026-11-22T07:00:30Z"));
        c.faster();
        assert_eq!(c.speed, 20.0);
        c.tick(wall + Duration::seconds(4));
        assert_eq!(c.at, t("2026-11-22T07:00:50Z"));
        c.tick(wall + Duration::hours(1));
        assert_eq!(c.at, c.end);
        assert!(!c.playing, "it stops at the end");
    }

    #[test]
    fn a_paused_clock_does_not_move_and_resumes_without_a_jump() {
        let mut c = clock();
        c.seek(t("2026-11-22T07:30:00Z"));
        let wall = t("2030-01-01T00:00:00Z");
        assert!(!c.tick(wall));
        c.toggle();
        c.tick(wall + Duration::minutes(10));
        assert_eq!(c.at, t("2026-11-22T07:30:00Z"), "the pause did not count");
        c.tick(wall + Duration::minutes(10) + Duration::seconds(1));
        assert_eq!(c.at, t("2026-11-22T07:30:10Z"));
    }

    #[test]
    fn speed_stays_between_1_and_1000() {
        let mut c = clock();
        for _ in 0..20 {
            c.faster();
        }
        assert_eq!(c.speed, 1000.0);
        for _ in 0..20 {
            c.slower();
        }
        assert_eq!(c.speed, 1.0);
    }

    #[test]
    fn jumps_are_read_in_every_form() {
        let mut c = clock();
        c.seek(t("2026-11-22T07:30:00Z"));
        assert_eq!(parse_jump("start", &c).unwrap(), c.start);
        assert_eq!(parse_jump("+5m", &c).unwrap(), t("2026-11-22T07:35:00Z"));
        assert_eq!(parse_jump("-30s", &c).unwrap(), t("2026-11-22T07:29:30Z"));
        assert_eq!(parse_jump("07:41", &c).unwrap(), t("2026-11-22T07:41:00Z"));
        assert_eq!(
            parse_jump("2026-11-22T07:42:05Z", &c).unwrap(),
            t("2026-11-22T07:42:05Z")
        );
        assert!(parse_jump("soon", &c).is_err());
        assert!(!c.seek(t("2020-01-01T00:00:00Z")) || c.at == c.start);
        assert_eq!(c.at, c.start, "kept inside the recording");
    }
}
