use super::super::*;
use crate::model::{KeySnapshot, KeyStatus};
use crate::tui::fixture::*;
use chrono::Duration;
use crossterm::event::KeyCode;

/// The fixture's incident as a journal written while it happened: each record stamped with
/// the time it was made, and the leaked key deactivated at 07:45.
fn journal() -> Vec<Record> {
    let mut records = fixture_records();
    for r in &mut records {
        r.at = match &r.body {
            RecordBody::Event(e) => e.event_time,
            RecordBody::Alert(a) => a.first_seen + Duration::minutes(1),
            _ => t(-61),
        };
    }
    let seq = records.len() as i64 + 1;
    records.push(Record {
        seq,
        at: t(8),
        actor: "alice@tui".into(),
        body: RecordBody::Key(KeySnapshot {
            user: "admin-ops".into(),
            access_key_id: LEAKED.into(),
            status: KeyStatus::Inactive,
            created: t(-200 * 24 * 60),
            last_used: None,
            last_used_service: None,
            last_used_region: None,
            account: None,
        }),
    });
    records
}

fn replay_mode() -> Mode {
    Mode {
        kind: ModeKind::Replay,
        read_only: true,
        dry_run: false,
    }
}

/// A replay-mode console on `state`, on a 140×40 screen.
fn replay_app(state: IncidentState) -> App {
    let mut app = App::new(
        state,
        replay_mode(),
        crate::tui::keymap::Keymap::builtin("default").unwrap(),
        crate::tui::theme::Theme::builtin("dark").unwrap(),
        "alice@tui".into(),
        Utc::now(),
    );
    app.update(Msg::Resize(140, 40));
    app
}

fn replaying() -> App {
    let records = journal();
    let mut app = replay_app(IncidentState::from_records(&records));
    app.replay_journal(records, None, 10.0, false);
    app.update(Msg::Tick(Utc::now()));
    app
}

fn leaked_status(app: &App) -> KeyStatus {
    app.state
        .keys
        .iter()
        .find(|k| k.access_key_id == LEAKED)
        .unwrap()
        .status
}

fn command(app: &mut App, line: &str) -> Vec<Effect> {
    press(app, KeyCode::Char(':'));
    typ(app, line);
    press(app, KeyCode::Enter)
}

#[test]
fn a_journal_replay_shows_the_world_as_of_the_clock_both_ways() {
    let mut a = replaying();
    assert_eq!(a.replay_clock().unwrap().at, t(8), "opens at the end");
    assert_eq!(leaked_status(&a), KeyStatus::Inactive);
    assert_eq!(a.rows[Pane::Alerts].count, 1);

    command(&mut a, "jump 07:38");
    assert_eq!(a.now, t(1));
    assert_eq!(leaked_status(&a), KeyStatus::Active, "not deactivated yet");
    // The alert was journaled after DescribeVolumes (07:40), so it shows from then.
    assert_eq!(a.rows[Pane::Alerts].count, 0);
    assert_eq!(
        a.rows[Pane::Activity].count,
        5,
        "four old calls and GetCallerIdentity"
    );

    // Forward one moment at a time: RunInstances at 07:39, DescribeVolumes and the alert
    // at 07:40, the deactivation at 07:45, and then nothing more.
    press(&mut a, KeyCode::Char('.'));
    assert_eq!(a.now, t(2));
    assert_eq!(a.rows[Pane::Activity].count, 6);
    press(&mut a, KeyCode::Char('.'));
    press(&mut a, KeyCode::Char('.'));
    press(&mut a, KeyCode::Char('.'));
    assert_eq!(a.now, t(8));
    assert_eq!(a.rows[Pane::Alerts].count, 1);
    assert_eq!(leaked_status(&a), KeyStatus::Inactive);
    press(&mut a, KeyCode::Char(','));
    assert_eq!(
        leaked_status(&a),
        KeyStatus::Active,
        "a step back undoes it"
    );
    assert!(a.now < t(8));

    command(&mut a, "jump start");
    assert_eq!(a.rows[Pane::Activity].count, 0);
    assert_eq!(a.state.keys.len(), 0, "nothing has happened yet");
    command(&mut a, "jump end");
    assert_eq!(leaked_status(&a), KeyStatus::Inactive);
    let bad = command(&mut a, "jump soon");
    assert!(bad.is_empty());
    assert!(a.flash.as_ref().unwrap().text.contains("jump:"));
}

#[test]
fn playing_moves_the_clock_with_the_wall_clock_at_the_chosen_speed() {
    let mut a = replaying();
    press(&mut a, KeyCode::Char(' '));
    let clock = a.replay_clock().unwrap();
    assert!(clock.playing);
    let start = clock.start;
    assert_eq!(a.state.keys.len(), 0, "playing from the end starts over");
    let wall = Utc::now();
    a.update(Msg::Tick(wall));
    press(&mut a, KeyCode::Char('+'));
    assert_eq!(a.replay_clock().unwrap().speed, 20.0);
    a.update(Msg::Tick(wall + Duration::seconds(30)));
    assert_eq!(a.now, start + Duration::minutes(10));
    assert_eq!(
        a.rows[Pane::Activity].count,
        4,
        "the four calls of 06:37–06:40"
    );
    command(&mut a, "speed 1000");
    a.update(Msg::Tick(wall + Duration::seconds(60)));
    let clock = a.replay_clock().unwrap();
    assert_eq!(clock.at, clock.end);
    assert!(!clock.playing, "stops at the end");
    assert_eq!(leaked_status(&a), KeyStatus::Inactive);
}

#[test]
fn the_chart_narrows_activity_to_a_bar_and_esc_widens_again() {
    let mut a = app();
    press(&mut a, KeyCode::Char('3'));
    let chart = a.chart.clone().expect("a chart over Activity");
    assert_eq!(chart.total(), 7);
    assert_eq!(a.rows[Pane::Activity].count, 7);
    // Select the bar of 07:39 (RunInstances) and narrow to it.
    let bar = (0..chart.counts.len())
        .find(|&i| chart.bar(i).contains(t(2)))
        .unwrap();
    let from = a.chart_bar.unwrap();
    let key = if bar > from { ']' } else { '[' };
    for _ in 0..bar.abs_diff(from) {
        press(&mut a, KeyCode::Char(key));
    }
    press(&mut a, KeyCode::Char('w'));
    assert_eq!(a.rows[Pane::Activity].count, 1);
    assert!(a.window().unwrap().contains(t(2)));
    assert_eq!(
        a.chart.as_ref().unwrap().total(),
        1,
        "the chart zooms in too"
    );
    press(&mut a, KeyCode::Esc);
    assert_eq!(a.window(), None);
    assert_eq!(a.rows[Pane::Activity].count, 7);

    command(&mut a, "window 06:37 06:39");
    assert_eq!(a.rows[Pane::Activity].count, 2);
    press(&mut a, KeyCode::Char('5'));
    assert!(
        a.rows[Pane::Timeline].count == 0,
        "the timeline keeps to the window too"
    );
    command(&mut a, "window");
    assert!(a.rows[Pane::Timeline].count > 0);
    command(&mut a, "window 07:00 06:00");
    assert!(a.flash.as_ref().unwrap().text.contains("before the end"));
}

#[test]
fn an_archive_arrives_while_the_console_is_open_and_can_be_stopped() {
    let mut a = replay_app(IncidentState::default());
    a.replay_archive("trail/".into(), None, 10.0, false);
    assert_eq!(a.pane, Pane::Activity);
    assert!(a.loading());
    let events: Vec<_> = fixture_records()
        .into_iter()
        .filter_map(|r| match r.body {
            RecordBody::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    let (early, late) = events.split_at(3);
    a.update(Msg::Loaded(late.to_vec()));
    a.update(Msg::Loaded(early.to_vec()));
    assert_eq!(a.rows[Pane::Activity].count, 7);
    let clock = a.replay_clock().unwrap();
    assert_eq!(clock.end, t(3));
    assert_eq!(clock.at, t(3), "paused at the end, showing all that came");
    let effects = press(&mut a, KeyCode::Esc);
    assert_eq!(effects, vec![Effect::CancelLoad]);
    a.update(Msg::Load(LoadStatus {
        source: "trail/".into(),
        events: 7,
        files_done: 2,
        done: true,
        cancelled: true,
        ..LoadStatus::default()
    }));
    assert!(!a.loading());
    assert!(
        a.flash
            .as_ref()
            .unwrap()
            .text
            .starts_with("Stopped: 7 events")
    );
    command(&mut a, "jump 07:38");
    assert_eq!(a.rows[Pane::Activity].count, 5);
}

#[test]
fn stepping_treats_records_of_one_instant_as_one_moment() {
    let moments = [t(1), t(2), t(2), t(2), t(5)];
    let step = |at, forward| super::step(&moments, |m| *m, at, forward, t(0)).unwrap();
    assert_eq!(step(t(2), true), t(5));
    assert_eq!(step(t(5), false), t(2));
    assert_eq!(
        step(t(2), false),
        t(1),
        "back past all three of 07:39 at once"
    );
    assert_eq!(step(t(1), false), t(0), "before the first: the start");
    assert_eq!(super::step(&moments, |m| *m, t(5), true, t(0)), None);
}
