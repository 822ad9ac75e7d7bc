//! The real binary in a real pseudo-terminal: keys typed, the screen read back through a
//! terminal emulator, the journal checked afterwards.

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use warroom::journal::Journal;
use warroom::model::{Action, KeyStatus, RecordBody, Step};
use warroom::source::demo::scenario::{LEAKED_KEY, LEAKED_USER};

/// Generous: these are waits for something to appear, not timings.
const PATIENCE: Duration = Duration::from_secs(60);

struct Console {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Console {
    fn start(home: &Path, args: &[&str]) -> Console {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 140,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_warroom"));
        cmd.args(args);
        // Config, data and logs go to a scratch home, never the developer's.
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env("XDG_STATE_HOME", home.join("state"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        let child = pty.slave.spawn_command(cmd).expect("start warroom");
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(40).unwrap(),
            std::num::NonZeroU16::new(140).unwrap(),
            0,
        )));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        // Keep the master open for the child's lifetime.
        std::mem::forget(pty.master);
        Console {
            screen,
            writer,
            child,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, text: &str) {
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "\"{text}\" never appeared; the screen was:\n{}",
            self.contents()
        );
    }

    /// Types keys one at a time, as a person would (and so that a lone `esc` is not read
    /// as the start of an escape sequence).
    fn keys(&mut self, keys: &str) {
        for b in keys.bytes() {
            self.writer.write_all(&[b]).unwrap();
            self.writer.flush().unwrap();
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    fn esc(&mut self) {
        std::thread::sleep(Duration::from_millis(100));
        self.keys("\x1b");
        std::thread::sleep(Duration::from_millis(150));
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill().ok();
        panic!("warroom did not exit; the screen was:\n{}", self.contents());
    }
}

#[test]
fn pivot_on_the_leaked_key_deactivate_it_quit_and_find_it_journaled() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("incident.sqlite");
    let mut c = Console::start(
        home.path(),
        &["demo", "--instant", "--journal", journal.to_str().unwrap()],
    );
    c.wait_for("used from a new IP");
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
}
