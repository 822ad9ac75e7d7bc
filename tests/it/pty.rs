//! The real binary in a real pseudo-terminal: keys typed, the screen read back through a
//! terminal emulator, the journal checked afterwards.

use crate::support::terminal::Console;
use warroom::journal::Journal;
use warroom::model::{Action, KeyStatus, RecordBody, Step};
use warroom::source::demo::scenario::{LEAKED_KEY, LEAKED_USER};

#[test]
fn pivot_on_the_leaked_key_deactivate_it_quit_and_find_it_journaled() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("incident.sqlite");
    let mut c = Console::start(
        home.path(),
        &["demo", "--instant", "--journal", journal.to_str().unwrap()],
    );
    c.wait_for("used from a new source");
    c.wait_for("GPU instances launched by admin-ops");

    // Keys pane, narrowed to the admin's key, then pivot on it.
    c.keys("4/");
    c.keys(LEAKED_USER);
    c.keys("\r");
    c.wait_for(LEAKED_KEY);
    c.keys("p");
    c.wait_for(&format!("PIVOT  access key {LEAKED_KEY}"));

    // Deactivate through the dialog, which opens with Cancel focused.
    c.keys("d");
    c.wait_for(&format!(
        "Deactivate access key {LEAKED_KEY} of {LEAKED_USER}"
    ));
    c.keys("y");
    c.wait_for("Done: Deactivate access key");
    c.keys("4");
    c.wait_for("Inactive");
    c.esc();
    c.wait_for("Timeline (");
    c.keys("q");
    let status = c.wait_exit();
    assert!(status.success(), "exit status {status:?}\n{}", c.contents());

    let j = Journal::open_existing(&journal).unwrap();
    assert!(j.verify().unwrap().is_ok(), "the journal verifies");
    let records = j.read_all().unwrap();
    let steps: Vec<(String, &str)> = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Action(s) => Some((r.actor.clone(), s.step.name())),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = steps.iter().map(|(_, s)| *s).collect();
    assert_eq!(names, ["requested", "confirmed", "succeeded"], "{steps:?}");
    assert!(steps.iter().all(|(actor, _)| actor.ends_with("@tui")));
    let requested = records.iter().find_map(|r| match &r.body {
        RecordBody::Action(s) => match &s.step {
            Step::Requested { action, .. } => Some(action.clone()),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(
        requested,
        Some(Action::DeactivateKey {
            user: LEAKED_USER.into(),
            access_key_id: LEAKED_KEY.into()
        })
    );
    let last_status = records
        .iter()
        .rev()
        .filter_map(|r| match &r.body {
            RecordBody::Key(k) if k.access_key_id == LEAKED_KEY => Some(k.status),
            _ => None,
        })
        .next();
    assert_eq!(last_status, Some(KeyStatus::Inactive));
}

#[test]
fn a_reopened_journal_shows_what_it_showed_when_closed() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("incident.sqlite");
    let path = journal.to_str().unwrap();
    let mut c = Console::start(home.path(), &["demo", "--instant", "--journal", path]);
    c.wait_for("GPU instances launched by admin-ops");
    c.keys(":note first responder on it\r");
    c.keys(":status contained\r");
    c.wait_for("contained");
    c.keys("q");
    assert!(c.wait_exit().success());

    let mut c = Console::start(home.path(), &["demo", "--instant", "--journal", path]);
    c.wait_for("contained");
    c.keys("5G");
    c.wait_for("Note: first responder on it");
    c.keys("q");
    assert!(c.wait_exit().success());
}

#[test]
fn replay_reopens_a_journal_read_only_and_leaves_it_untouched() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("incident.sqlite");
    let path = journal.to_str().unwrap();
    let mut c = Console::start(home.path(), &["demo", "--instant", "--journal", path]);
    c.wait_for("GPU instances launched by admin-ops");
    c.keys("q");
    assert!(c.wait_exit().success());
    let before = Journal::open_existing(&journal)
        .unwrap()
        .last_seq()
        .unwrap();

    let mut c = Console::start(home.path(), &["replay", path]);
    c.wait_for("REPLAY");
    c.wait_for("READ-ONLY");
    c.wait_for("GPU instances launched by admin-ops");
    // The clock opens at the end, paused; from the start nothing has happened yet.
    c.wait_for("⏸ 10× ");
    c.wait_for(&format!("100% · record {before}/{before}"));
    c.keys(":jump start\r");
    c.wait_for(&format!("record 0/{before}"));
    c.wait_for("1 Alerts (0)");
    // A step shows the next moment's records: the account's history, journaled together.
    c.keys(".");
    c.wait_gone(&format!("record 0/{before}"));
    c.wait_gone("3 Activity (0)");
    c.keys(":jump end\r");
    c.wait_for("GPU instances launched by admin-ops");
    c.keys("4/");
    c.keys(LEAKED_USER);
    c.keys("\rd");
    c.wait_for("Refused: Deactivate access key");
    c.keys("q");
    assert!(c.wait_exit().success());
    let after = Journal::open_existing(&journal)
        .unwrap()
        .last_seq()
        .unwrap();
    assert_eq!(before, after, "replay wrote nothing");

    // Opened at its start, the replay keeps the rest of the journal for its clock to reveal:
    // nothing has happened yet, so nothing costs anything, however long the console waits
    // (the journal is tailed while it is open).
    let mut c = Console::start(home.path(), &["replay", path, "--at", "start"]);
    c.wait_for(&format!("record 0/{before}"));
    std::thread::sleep(std::time::Duration::from_secs(2));
    c.keys("1");
    c.wait_for("1 Alerts (0)");
    let screen = c.contents();
    assert!(!screen.contains("attacker compute"), "{screen}");
    assert!(screen.contains("No alerts yet"), "{screen}");
    c.keys("q");
    assert!(c.wait_exit().success());
}

#[test]
fn replay_reads_a_cloudtrail_directory_into_the_console_and_raises_its_alerts() {
    let home = tempfile::tempdir().unwrap();
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stratus-detonation-logs"
    );
    let mut c = Console::start(home.path(), &["replay", data]);
    c.wait_for("REPLAY");
    // Every one of the 310 events, counted by `warroom query --count` and by hand.
    c.wait_for("Loaded 310 events from 35 files");
    c.wait_for("3 Activity (310)");
    c.wait_for("events per ");
    // Detections ran over the archive: the detonations include a trail being stopped.
    c.keys("1");
    c.wait_for("CloudTrail");
    c.keys(":jump start\r");
    c.wait_for("3 Activity (0)");
    c.keys(":jump end\r");
    c.wait_for("3 Activity (310)");
    c.keys("q");
    assert!(c.wait_exit().success(), "{}", c.contents());
    c.wait_for("310 events from 35 files");
}

#[test]
fn sigterm_leaves_the_terminal_as_quitting_does() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("incident.sqlite");
    let mut c = Console::start(
        home.path(),
        &["demo", "--instant", "--journal", journal.to_str().unwrap()],
    );
    c.wait_for("GPU instances launched by admin-ops");
    assert!(
        c.on_alternate_screen() && c.mouse_captured(),
        "the console took the screen"
    );
    c.terminate();
    let status = c.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(!c.on_alternate_screen(), "the main screen is back");
    assert!(!c.mouse_captured(), "the mouse is the terminal's again");
    assert!(
        Journal::open_existing(&journal)
            .unwrap()
            .verify()
            .unwrap()
            .is_ok()
    );
}

/// The founding incident contained from its first alert: `c`, the leaked key's last four
/// characters (the plan deletes the back-door user, which cannot be undone), `y`. Six keys,
/// and the header's spend falls to nothing.
#[test]
fn the_demo_is_contained_from_its_first_alert_in_six_keys() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("incident.sqlite");
    let path = journal.to_str().unwrap();
    let mut c = Console::start(home.path(), &["demo", "--instant", "--journal", path]);
    c.wait_for("GPU instances launched by admin-ops");
    c.wait_for("attacker compute ≈ $");
    let mut keys = 0;
    let mut press = |c: &mut Console, k: &str| {
        keys += k.chars().count();
        c.keys(k);
    };
    press(&mut c, "c");
    c.wait_for(&format!("Contain {LEAKED_KEY}"));
    press(&mut c, &LEAKED_KEY[LEAKED_KEY.len() - 4..]);
    press(&mut c, "y");
    c.wait_for("Done: Contain");
    c.wait_for("attacker compute stopped ($0/h)");
    assert_eq!(keys, 6);
    c.keys("q");
    assert!(c.wait_exit().success());
    let records = Journal::open_existing(&journal)
        .unwrap()
        .read_all()
        .unwrap();
    let state = warroom::state::IncidentState::from_records(&records);
    let attackers: Vec<_> = state
        .instances
        .values()
        .filter(|i| i.launched_by == "admin-ops")
        .collect();
    assert!(attackers.len() >= 50);
    assert!(
        attackers
            .iter()
            .all(|i| !i.state.is_running() && i.isolated && i.snapshotted)
    );
    assert_eq!(state.spend_per_hour(), 0.0);
}

/// A DynamoDB finding leads to its template in the demo's infrastructure code: the file and
/// line, the rule that checks it before deploy, who wrote it, and the fix as a patch; `y`
/// copies the patch.
#[test]
fn a_finding_shows_its_template_line_and_patch() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("incident.sqlite");
    let mut c = Console::start(
        home.path(),
        &["demo", "--instant", "--journal", journal.to_str().unwrap()],
    );
    c.wait_for("GPU instances launched by admin-ops");
    // Findings: the DynamoDB rule first, its first resource `customers` under it.
    c.keys("2");
    c.wait_for("dynamodb-table-encryption-enabled");
    c.keys("j\r");
    c.wait_for("stacks/orders-api.yaml:15 (CustomersTable)");
    c.wait_for("checked before deploy as DYNAMODB_TABLE_ENCRYPTION_ENABLED, cfn_nag W74");
    // Who wrote those lines, from the demo repository's history, the latest first.
    c.wait_for("Li Wei <li.wei@tideline.example> (2026-10-20), Dana Kim");
    c.wait_for("+++ b/stacks/orders-api.yaml");
    c.wait_for("+      SSESpecification:");
    c.keys("y");
    c.wait_for("Copied the patch");
    c.keys("q");
    assert!(c.wait_exit().success());
}

/// `query` on a terminal keeps a progress line on standard error while it reads (shown
/// from the start here, where it normally waits two seconds), and clears it before it ends.
#[test]
fn a_read_keeps_a_progress_line_on_the_terminal_and_clears_it() {
    let home = tempfile::tempdir().unwrap();
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stratus-detonation-logs"
    );
    let env = [("WARROOM_PROGRESS_AFTER".to_string(), "0s".to_string())];
    let mut c = Console::start_with_env(
        home.path(),
        &["query", data, "eventName=CreateAccessKey", "--count"],
        &env,
    );
    let status = c.wait_exit();
    assert!(status.success(), "{status:?}");
    // The count, alone on the screen once the line is cleared.
    c.wait_for("2");
    let raw = c.transcript();
    let line = format!("reading {data}: ");
    let at = raw
        .find(&line)
        .unwrap_or_else(|| panic!("no progress line in {raw:?}"));
    assert!(raw[at..].contains(" files, "), "{raw:?}");
    assert!(
        raw[at..].contains("\r\x1b[K2"),
        "the line is cleared before the count: {raw:?}"
    );
    assert!(!c.contents().contains("reading"), "{}", c.contents());
}
