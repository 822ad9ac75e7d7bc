//! Time in the console: the replay clock and what it reveals, the event-rate chart and the
//! time window narrowed from it, and archives arriving while the console is open.

use super::{App, Effect, Level};
use crate::model::{CloudTrailEvent, Record};
use crate::replay::{self, ReplayClock};
use crate::state::IncidentState;
use crate::tui::layout;
use crate::tui::rate::{self, RateChart, Window};
use crate::tui::views::Pane;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// A journal being replayed: its records in journal order, and from when each is shown.
#[derive(Debug, Clone)]
pub struct Script {
    records: Arc<[Record]>,
    /// When each record appears: the latest time up to and including it, so the order of
    /// the journal is kept even where a clock went backwards.
    reveal: Vec<DateTime<Utc>>,
    /// How many records the state holds.
    applied: usize,
}

impl Script {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn applied(&self) -> usize {
        self.applied
    }
}

/// The replay: the clock, and for a journal the records it reveals.
#[derive(Debug, Clone)]
pub struct Replay {
    pub clock: ReplayClock,
    pub script: Option<Script>,
}

/// How far a long load has come.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadStatus {
    pub source: String,
    pub files_done: usize,
    pub files_total: usize,
    pub events: usize,
    pub bytes: u64,
    pub elapsed: std::time::Duration,
    pub problems: usize,
    pub done: bool,
    pub cancelled: bool,
}

impl LoadStatus {
    pub fn events_per_second(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.events as f64 / s } else { 0.0 }
    }
}

impl App {
    /// Turns this console into a replay of `records` (the journal it was opened on, whose
    /// state it already shows), with the clock at `at` (default: the end, everything shown).
    pub fn replay_journal(
        &mut self,
        records: Vec<Record>,
        at: Option<DateTime<Utc>>,
        speed: f64,
        play: bool,
    ) {
        let mut latest = None;
        let reveal: Vec<DateTime<Utc>> = records
            .iter()
            .map(|r| {
                let t = latest.map_or(r.at, |l: DateTime<Utc>| l.max(r.at));
                latest = Some(t);
                t
            })
            .collect();
        let end = reveal.last().copied().unwrap_or(self.now);
        // One second before the first record: the moment nothing has happened yet.
        let start = reveal.first().map_or(end, |&t| t - Duration::seconds(1));
        let applied = records.len();
        self.replay = Some(Replay {
            clock: ReplayClock::new(start, end, end, speed),
            script: Some(Script {
                records: records.into(),
                reveal,
                applied,
            }),
        });
        self.begin_replay(at, play);
    }

    /// Turns this console into a replay of CloudTrail events that are still to arrive
    /// (`Msg::Loaded`); the clock grows with them.
    pub fn replay_archive(
        &mut self,
        source: String,
        at: Option<DateTime<Utc>>,
        speed: f64,
        play: bool,
    ) {
        let now = self.now;
        self.replay = Some(Replay {
            clock: ReplayClock::new(now, now, now, speed),
            script: None,
        });
        self.load = Some(LoadStatus {
            source,
            ..LoadStatus::default()
        });
        self.pane = Pane::Activity;
        self.begin_replay(at, play);
    }

    fn begin_replay(&mut self, at: Option<DateTime<Utc>>, play: bool) {
        if let Some(r) = &mut self.replay {
            if let Some(at) = at {
                r.clock.seek(at);
            }
            if play && !r.clock.playing {
                r.clock.toggle();
            }
        }
        self.sync_replay();
    }

    /// The replay's clock, when replaying.
    pub fn replay_clock(&self) -> Option<&ReplayClock> {
        self.replay.as_ref().map(|r| &r.clock)
    }

    /// The latest moment the panes may show: the replay clock.
    pub(super) fn horizon(&self) -> Option<DateTime<Utc>> {
        self.replay.as_ref().map(|r| r.clock.at)
    }

    /// A tick of the wall clock while replaying: the clock moves if it plays.
    pub(super) fn replay_tick(&mut self, wall: DateTime<Utc>) {
        let moved = self.replay.as_mut().is_some_and(|r| r.clock.tick(wall));
        if moved {
            self.sync_replay();
        }
    }

    /// Makes the state what it was at the clock: later records are taken back (by folding
    /// again from the start), earlier ones applied.
    pub(super) fn sync_replay(&mut self) {
        let Some(replay) = &mut self.replay else {
            return;
        };
        let at = replay.clock.at;
        self.now = at;
        let Some(script) = &mut replay.script else {
            // An archive: the panes cut at the clock themselves.
            self.rebuild_all();
            return;
        };
        let k = script.reveal.partition_point(|&t| t <= at);
        if k > script.applied {
            let fresh = script.records[script.applied..k].to_vec();
            script.applied = k;
            for r in &fresh {
                self.state.apply(r);
            }
        } else if k < script.applied {
            script.applied = k;
            self.state = IncidentState::from_records(&script.records[..k]);
        }
        self.rebuild_all();
    }

    pub(super) fn replay_command(&mut self, what: ReplayCommand) -> Vec<Effect> {
        let Some(r) = &mut self.replay else {
            self.flash(
                Level::Warning,
                "Nothing to replay: the clock is live (open a journal or an archive with warroom replay)",
            );
            return vec![];
        };
        let clock = &mut r.clock;
        match what {
            ReplayCommand::Toggle => {
                clock.toggle();
            }
            ReplayCommand::Play if !clock.playing => {
                clock.toggle();
            }
            ReplayCommand::Pause if clock.playing => {
                clock.toggle();
            }
            ReplayCommand::Play | ReplayCommand::Pause => {}
            ReplayCommand::Faster => clock.faster(),
            ReplayCommand::Slower => clock.slower(),
            ReplayCommand::Speed(s) => {
                clock.speed = s.clamp(replay::SPEEDS[0], replay::SPEEDS[replay::SPEEDS.len() - 1])
            }
            ReplayCommand::Step(forward) => {
                let to = self.next_moment(forward);
                if let (Some(r), Some(to)) = (&mut self.replay, to) {
                    r.clock.playing = false;
                    r.clock.seek(to);
                }
            }
            ReplayCommand::Jump(text) => match replay::parse_jump(&text, clock) {
                Ok(t) => {
                    clock.seek(t);
                }
                Err(e) => self.flash(Level::Error, format!("jump: {e}")),
            },
        }
        self.sync_replay();
        vec![]
    }

    /// The moment the next record appears, or (backwards) the moment before the latest one
    /// shown did.
    fn next_moment(&self, forward: bool) -> Option<DateTime<Utc>> {
        let r = self.replay.as_ref()?;
        let (at, start) = (r.clock.at, r.clock.start);
        match &r.script {
            Some(s) => step(&s.reveal, |t| *t, at, forward, start),
            // Events are sorted by time: their own times are the moments.
            None => step(&self.state.events, |e| e.event_time, at, forward, start),
        }
    }

    // ---- the chart and the window -----------------------------------------------------

    /// The time range Activity and Timeline are narrowed to.
    pub fn window(&self) -> Option<Window> {
        self.windows.last().copied()
    }

    /// Recomputes the chart for the pane on screen.
    pub(super) fn refresh_chart(&mut self) {
        let l = layout::compute(self.screen(), &self.view());
        let Some(area) = l.chart else {
            self.chart = None;
            return;
        };
        let events = &self.state.events;
        let chart = rate::range_of(events, self.window(), self.horizon()).and_then(|range| {
            let range = match self.horizon() {
                Some(h) if self.window().is_some() => Window {
                    from: range.from,
                    to: range.to.min(h + Duration::seconds(1)).max(range.from),
                },
                _ => range,
            };
            match self.pivot() {
                Some(p) => {
                    let keep = |e: &CloudTrailEvent| p.matches_event(e);
                    RateChart::compute(events, range, area.width as usize, Some(&keep))
                }
                None => RateChart::compute(events, range, area.width as usize, None),
            }
        });
        if let Some(c) = &chart
            && self.chart_bar.is_none_or(|b| b >= c.counts.len())
        {
            self.chart_bar = c.peak().or(Some(0));
        }
        self.chart = chart;
    }

    pub(super) fn chart_move(&mut self, delta: isize) {
        let Some(chart) = &self.chart else {
            self.flash(
                Level::Info,
                "The event-rate chart is on Activity and Timeline (a screen at least 22 rows tall)",
            );
            return;
        };
        let last = chart.counts.len().saturating_sub(1) as isize;
        let bar = self.chart_bar.unwrap_or(0) as isize + delta;
        self.chart_bar = Some(bar.clamp(0, last) as usize);
    }

    /// Narrows to the selected bar: the panes and the chart zoom into its time.
    pub(super) fn zoom_in(&mut self) {
        let Some((chart, bar)) = self.chart.as_ref().zip(self.chart_bar) else {
            self.chart_move(0);
            return;
        };
        let w = chart.bar(bar);
        if chart.bucket <= Duration::seconds(1) && self.window() == Some(w) {
            self.flash(Level::Info, "Already at one second");
            return;
        }
        self.windows.push(w);
        self.chart_bar = None;
        self.rebuild_all();
        self.flash(
            Level::Info,
            format!("Window {} (esc widens)", describe_window(w)),
        );
    }

    /// Widens back to the window before; returns whether there was one.
    pub(super) fn zoom_out(&mut self) -> bool {
        if self.windows.pop().is_none() {
            return false;
        }
        self.chart_bar = None;
        self.rebuild_all();
        true
    }

    pub(super) fn set_window(&mut self, range: Option<(String, String)>) {
        let Some((from, to)) = range else {
            self.windows.clear();
            self.chart_bar = None;
            self.rebuild_all();
            self.flash(Level::Info, "Window cleared");
            return;
        };
        let anchor = self
            .horizon()
            .or_else(|| self.state.events.last().map(|e| e.event_time))
            .unwrap_or(self.now);
        let clock = ReplayClock::new(anchor, anchor, anchor, 1.0);
        let parse = |t: &str| replay::parse_jump(t, &clock);
        match (parse(&from), parse(&to)) {
            (Ok(from), Ok(to)) if from < to => {
                let w = Window { from, to };
                self.windows.push(w);
                self.chart_bar = None;
                self.rebuild_all();
                self.flash(Level::Info, format!("Window {}", describe_window(w)));
            }
            (Ok(_), Ok(_)) => {
                self.flash(Level::Error, "window: the start must come before the end")
            }
            (Err(e), _) | (_, Err(e)) => self.flash(Level::Error, format!("window: {e}")),
        }
    }

    /// A click on the chart: select the bar under it, and narrow to it if it was selected.
    pub(super) fn chart_click(&mut self, column: u16) {
        let Some(area) = layout::compute(self.screen(), &self.view()).chart else {
            return;
        };
        let Some(chart) = &self.chart else {
            return;
        };
        let bar = column.saturating_sub(area.x) as usize;
        if bar >= chart.counts.len() {
            return;
        }
        if self.chart_bar == Some(bar) {
            self.zoom_in();
        } else {
            self.chart_bar = Some(bar);
        }
    }

    // ---- archives arriving ------------------------------------------------------------

    pub(super) fn loaded(&mut self, events: Vec<Arc<CloudTrailEvent>>) {
        let was_empty = self.state.events.is_empty();
        self.state.add_events(events);
        let (Some(first), Some(last)) = (self.state.events.first(), self.state.events.last())
        else {
            return;
        };
        let (first, last) = (first.event_time, last.event_time);
        if let Some(r) = &mut self.replay
            && r.script.is_none()
        {
            if was_empty {
                let (speed, playing) = (r.clock.speed, r.clock.playing);
                let at = if playing { first } else { last };
                r.clock = ReplayClock::new(first - Duration::seconds(1), last, at, speed);
                if playing {
                    r.clock.toggle();
                }
            } else {
                r.clock.extend(first - Duration::seconds(1), last);
            }
            self.now = r.clock.at;
        }
    }

    pub(super) fn load_progress(&mut self, status: LoadStatus) {
        if status.done {
            let text = format!(
                "{}{} events from {} files ({}) in {:.1}s{}",
                if status.cancelled {
                    "Stopped: "
                } else {
                    "Loaded "
                },
                status.events,
                status.files_done,
                human_bytes(status.bytes),
                status.elapsed.as_secs_f64(),
                match status.problems {
                    0 => String::new(),
                    n => format!("; {n} problems, listed when the console closes"),
                }
            );
            let level = if status.problems > 0 {
                Level::Warning
            } else {
                Level::Info
            };
            self.flash(level, text);
        }
        self.load = Some(status);
    }

    pub fn loading(&self) -> bool {
        self.load.as_ref().is_some_and(|l| !l.done)
    }
}

/// What the replay keys and commands ask of the clock.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ReplayCommand {
    Toggle,
    Play,
    Pause,
    Faster,
    Slower,
    Speed(f64),
    Step(bool),
    Jump(String),
}

/// In `items` sorted by `time`: the first moment after `at`, or (backwards) the last
/// moment before the latest one at or before `at` — the start when there is none. Records of
/// one instant are one moment, whichever way the clock steps.
fn step<T>(
    items: &[T],
    time: impl Fn(&T) -> DateTime<Utc>,
    at: DateTime<Utc>,
    forward: bool,
    start: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let shown = items.partition_point(|x| time(x) <= at);
    if forward {
        return items.get(shown).map(&time);
    }
    let Some(latest) = shown.checked_sub(1).map(|i| time(&items[i])) else {
        return Some(start);
    };
    let before = items.partition_point(|x| time(x) < latest);
    Some(before.checked_sub(1).map_or(start, |i| time(&items[i])))
}

pub fn describe_window(w: Window) -> String {
    let same_day = w.from.date_naive() == (w.to - Duration::nanoseconds(1)).date_naive();
    if same_day {
        format!(
            "{} {}–{} UTC",
            w.from.format("%Y-%m-%d"),
            w.from.format("%H:%M:%S"),
            w.to.format("%H:%M:%S")
        )
    } else {
        format!(
            "{} – {} UTC",
            w.from.format("%Y-%m-%d %H:%M"),
            w.to.format("%Y-%m-%d %H:%M")
        )
    }
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests;
