//! Console speed on the demo incident: start to first frame, one frame, one filter keystroke.
//!
//! Run: cargo bench --bench console

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use warroom::journal::Journal;
use warroom::source::demo::{scenario, world::DemoWorld};
use warroom::source::ingest::Ingest;
use warroom::state::IncidentState;
use warroom::tui::app::{App, Mode, ModeKind, Msg};
use warroom::tui::keymap::Keymap;
use warroom::tui::render;
use warroom::tui::theme::Theme;
use warroom::tui::views::Pane;

const W: u16 = 160;
const H: u16 = 48;

/// Everything `warroom demo --instant` does before its first frame, minus the terminal:
/// load the keymap and theme, build the world, journal the whole scenario, fold it, draw.
fn start_to_first_frame(dir: &std::path::Path, n: usize) -> App {
    let keymap = Keymap::load(None).unwrap();
    let theme = Theme::load(None, false).unwrap();
    let world = DemoWorld::new(scenario::founding_scenario());
    let end = world.scenario().end();
    let mut journal = Journal::open(&dir.join(format!("bench-{n}.sqlite"))).unwrap();
    let mut records = world.opening_records("bench", end);
    records.extend(Ingest::new().process(end, world.advance(end)));
    let stored = journal.append(&records).unwrap();
    let state = IncidentState::from_records(&stored);
    let mut app = App::new(
        state,
        Mode {
            kind: ModeKind::Demo { speed: 15.0 },
            read_only: false,
            dry_run: false,
        },
        keymap,
        theme,
        "bench@tui".into(),
        end,
    );
    app.update(Msg::Resize(W, H));
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    term.draw(|f| render::draw(f, &app.view())).unwrap();
    app
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let n = std::cell::Cell::new(0);
    c.bench_function("start_to_first_frame", |b| {
        b.iter(|| {
            n.set(n.get() + 1);
            black_box(start_to_first_frame(dir.path(), n.get()))
        })
    });

    let mut app = start_to_first_frame(dir.path(), 0);
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    for pane in Pane::ALL {
        app.pane = pane;
        c.bench_function(&format!("render_frame/{}", pane.title()), |b| {
            b.iter(|| {
                term.draw(|f| render::draw(f, &black_box(&app).view()))
                    .unwrap();
            })
        });
    }

    app.pane = Pane::Activity;
    let key = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    app.update(key('/'));
    c.bench_function("filter_keystroke/activity", |b| {
        // Type a character, then take it back: each iteration is two filter passes.
        b.iter(|| {
            app.update(key('r'));
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Backspace,
                KeyModifiers::NONE,
            )));
        })
    });
    println!(
        "demo incident: {} events, {} alerts, {} timeline entries",
        app.state.events.len(),
        app.state.alerts.len(),
        app.state.timeline.len()
    );
    // What the journal holds per event, and what its alerts cost beside the events.
    let world = DemoWorld::new(scenario::founding_scenario());
    let end = world.scenario().end();
    let records = Ingest::new().process(end, world.advance(end));
    let (mut events, mut event_bytes, mut alert_bytes, mut alert_records) = (0, 0, 0, 0);
    // What the same records weighed when each carried its alert whole.
    let (mut whole_bytes, mut last) = (0, std::collections::HashMap::new());
    for r in &records {
        let bytes = r.body.data().len();
        match &r.body {
            warroom::model::RecordBody::Event(_) => {
                events += 1;
                event_bytes += bytes;
            }
            warroom::model::RecordBody::Alert(a) => {
                alert_records += 1;
                alert_bytes += bytes;
                let whole = match last.get(&a.id) {
                    Some(before) => a.grown_onto(before),
                    None => a.clone(),
                };
                whole_bytes += serde_json::to_string(&whole).unwrap().len();
                last.insert(a.id.clone(), whole);
            }
            _ => {}
        }
    }
    let file = std::fs::metadata(dir.path().join("bench-0.sqlite")).map_or(0, |m| m.len());
    println!(
        "journal: {} bytes a file for {events} events ({} bytes per event); events {event_bytes} bytes, {alert_records} alert records {alert_bytes} bytes ({:.2} of the events'; whole alerts would be {whole_bytes} bytes, {:.2})",
        file,
        file / events.max(1) as u64,
        alert_bytes as f64 / event_bytes.max(1) as f64,
        whole_bytes as f64 / event_bytes.max(1) as f64
    );
}

criterion_group! {
    name = console;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(console);
