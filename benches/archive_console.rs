//! The console on a large CloudTrail archive, the way `warroom replay DIR` runs it but
//! without a terminal: the real background reader feeding the app's `update`, frames drawn
//! into a test backend. Prints the time to the first frame, to fully loaded, the resident
//! memory at the end, then frame times and filter keystrokes over everything loaded.
//!
//! Run (the archive comes from the generator; benches/archive.sh makes it):
//!
//! ```text
//! cargo bench --bench archive_console -- target/bench-archive
//! ```
//!
//! `LOAD_ONLY=1` reads the archive without the console (what the events alone hold);
//! `RSS_TRACE=1` prints resident memory as the events arrive. The detections run as in the
//! console (built-ins and the starter Sigma rules); `RULES=DIR` adds the rules in DIR,
//! `SIGMA=off` keeps only the built-ins, and `DETECT=off` runs none, to see what they cost.

// The allocator of the warroom binary, so the memory figure is the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};
use warroom::archive::Source;
use warroom::model::Query;
use warroom::state::IncidentState;
use warroom::tui::app::{App, Effect, Mode, ModeKind, Msg};
use warroom::tui::keymap::Keymap;
use warroom::tui::theme::Theme;
use warroom::tui::views::{self, Pane};
use warroom::tui::{loader, render};

const W: u16 = 160;
const H: u16 = 48;

/// The detections the console would run, as the environment asks.
fn detections() -> Option<warroom::detect::Detections> {
    if std::env::var("DETECT").is_ok_and(|v| v == "off") {
        println!("detections:                 off");
        return None;
    }
    // `SIGMA=off`: the built-in detections alone.
    let sigma = !std::env::var("SIGMA").is_ok_and(|v| v == "off");
    let sources = warroom::detect::rules::RuleSources {
        starter: sigma,
        paths: std::env::var_os("RULES")
            .map(Into::into)
            .into_iter()
            .collect(),
    };
    let loaded = warroom::detect::rules::load(&sources);
    for p in &loaded.problems {
        eprintln!("rule not loaded: {p}");
    }
    println!(
        "detections:                 built-ins and {} Sigma rules",
        loaded.rules.len()
    );
    Some(warroom::detect::Detections {
        settings: Default::default(),
        rules: loaded.rules,
    })
}

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "target/bench-archive".into());
    if !std::path::Path::new(&dir).exists() {
        eprintln!("{dir} does not exist: run benches/archive.sh (or the generator) first");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut app = App::new(
        IncidentState::default(),
        Mode {
            kind: ModeKind::Replay,
            read_only: true,
            dry_run: false,
        },
        Keymap::load(None).unwrap(),
        Theme::load(None, false).unwrap(),
        "bench@tui".into(),
        chrono::Utc::now(),
    );
    app.update(Msg::Resize(W, H));
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();

    let started = Instant::now();
    let detections = detections();
    let (mut loader, _problems) = loader::start(
        Source::parse(&dir),
        Default::default(),
        detections.clone(),
        rt.handle().clone(),
    );
    app.replay_archive(dir.clone(), None, 10.0, false);
    term.draw(|f| render::draw(f, &app.view())).unwrap();
    let mut first_events = None;
    let mut slowest_update = Duration::ZERO;
    if std::env::var_os("LOAD_ONLY").is_some() {
        // For comparison: what the events alone hold, without the console.
        let mut kept = Vec::new();
        let mut read = Duration::ZERO;
        while let Some(msg) = loader.inbox.blocking_recv() {
            match msg {
                Msg::Loaded(batch) => {
                    kept.extend(batch);
                    read = started.elapsed();
                }
                Msg::Load(s) if s.done => break,
                _ => {}
            }
        }
        println!(
            "events alone: {} in {:.2} s (read in {:.2} s), peak {} MB, now {} MB",
            kept.len(),
            started.elapsed().as_secs_f64(),
            read.as_secs_f64(),
            peak_rss_mb(),
            rss_mb("VmRSS:")
        );
        if let Some(d) = &detections {
            // The serial part of the detections, once more over what was loaded (the Sigma
            // verdicts are reached while reading, in parallel, and are not in this figure).
            let t = Instant::now();
            let alerts = d.run_over(&kept, &Default::default());
            println!(
                "built-in pass over them:    {:.2} s, {} alerts",
                t.elapsed().as_secs_f64(),
                alerts.len()
            );
        }
        return;
    }
    // The console's loop: take what the reader sent, update, draw.
    loop {
        let Some(msg) = loader.inbox.blocking_recv() else {
            break;
        };
        let done = matches!(&msg, Msg::Load(s) if s.done);
        let kind = match &msg {
            Msg::Loaded(b) => format!("{} events arriving", b.len()),
            Msg::Records(r) => format!("{} alerts", r.len()),
            _ => "progress".to_string(),
        };
        let t = Instant::now();
        app.update(msg);
        let updated = t.elapsed();
        term.draw(|f| render::draw(f, &app.view())).unwrap();
        slowest_update = slowest_update.max(t.elapsed());
        if std::env::var_os("RSS_TRACE").is_some() && t.elapsed() > Duration::from_millis(100) {
            eprintln!(
                "slow: {kind} with {} loaded: update {:.0} ms, frame {:.0} ms",
                app.state.events.len(),
                ms(updated),
                ms(t.elapsed() - updated)
            );
        }
        if std::env::var_os("RSS_TRACE").is_some() {
            eprintln!(
                "{} events rss {} MB",
                app.state.events.len(),
                rss_mb("VmRSS:")
            );
        }
        if first_events.is_none() && !app.state.events.is_empty() {
            first_events = Some(started.elapsed());
        }
        if done {
            break;
        }
    }
    let loaded = started.elapsed();
    let events = app.state.events.len();
    println!("archive:                    {dir}");
    println!("events loaded:              {events}");
    println!(
        "first frame with events:    {:.0} ms (the empty console draws at once)",
        ms(first_events.unwrap_or_default())
    );
    println!("fully loaded:               {:.2} s", loaded.as_secs_f64());
    println!(
        "slowest update+frame:       {:.0} ms (while loading)",
        ms(slowest_update)
    );
    println!("peak resident memory:       {} MB", peak_rss_mb());

    // Frames over everything: each pane, the median of a few.
    for pane in Pane::ALL {
        app.pane = pane;
        app.update(Msg::Resize(W, H));
        let t = median(15, || {
            term.draw(|f| render::draw(f, &app.view())).unwrap();
        });
        println!("frame, {:<9}           {:.2} ms", pane.title(), ms(t));
    }

    // Filter keystrokes on Activity: the update (which hands the filter to a background
    // job) and the job's first screenful, run as the console runs it.
    app.pane = Pane::Activity;
    app.update(Msg::Resize(W, H));
    for query in ["runinst", "AKIAPIVOT"] {
        let mut typed = String::new();
        for c in query.chars() {
            typed.push(c);
            let key = if typed.len() == 1 {
                app.update(Msg::Key(KeyEvent::new(
                    KeyCode::Char('/'),
                    KeyModifiers::NONE,
                )));
                KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
            } else {
                KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
            };
            let t = Instant::now();
            let effects = app.update(Msg::Key(key));
            let update = t.elapsed();
            let job = effects.into_iter().find_map(|e| match e {
                Effect::Filter(job) => Some(job),
                _ => None,
            });
            let Some(job) = job else {
                println!(
                    "filter {typed:<10} update {:.2} ms (filtered in place)",
                    ms(update)
                );
                continue;
            };
            let q = Query::new(&job.query);
            let mut first = None;
            let all = views::filter_detached(
                job.pane,
                &job.items,
                &job.texts,
                &q,
                &|| false,
                |_| first = Some(t.elapsed()),
                job.screenful,
            )
            .unwrap_or_default();
            let total = t.elapsed();
            app.update(Msg::Filtered {
                pane: job.pane,
                generation: job.generation,
                items: all,
                complete: true,
            });
            println!(
                "filter {typed:<10} update {:.2} ms · first screen {:.0} ms · all {:.0} ms · {} matches",
                ms(update),
                ms(first.unwrap_or(total)),
                ms(total),
                app.rows[Pane::Activity].count
            );
        }
        app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2]
}

/// The high-water mark of resident memory (Linux), in MB.
fn peak_rss_mb() -> u64 {
    rss_mb("VmHWM:")
}

/// A memory figure of /proc/self/status (Linux), in MB.
fn rss_mb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
