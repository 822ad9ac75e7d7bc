use super::verify::Problem;
use super::*;
use crate::model::{NewRecord, Note, RecordBody};
use chrono::{TimeZone, Utc};

fn note(i: usize) -> NewRecord {
    NewRecord::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 0).unwrap() + chrono::Duration::seconds(i as i64),
        "tester",
        RecordBody::Note(Note {
            text: format!("note {i}"),
        }),
    )
}

fn journal_with(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.sqlite");
    let mut j = Journal::open(&path).unwrap();
    let recs: Vec<_> = (1..=n).map(note).collect();
    j.append(&recs).unwrap();
    (dir, path)
}

/// Runs raw SQL the way someone tampering with the file would: triggers dropped first.
fn tamper(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;")
        .unwrap();
    conn.execute_batch(sql).unwrap();
}

fn verify_err(path: &Path) -> VerifyError {
    Journal::open_existing(path)
        .unwrap()
        .verify()
        .unwrap()
        .expect_err("tampering must be detected")
}

#[test]
fn reopening_reads_back_exactly_what_was_written() {
    let (_dir, path) = journal_with(5);
    let j = Journal::open(&path).unwrap();
    let all = j.read_all().unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[2].seq, 3);
    assert_eq!(all[2].body, note(3).body);
    assert_eq!(all[2].at, note(3).at);
    assert_eq!(j.read_after(3, 10).unwrap().len(), 2);
}

#[test]
fn appends_continue_the_chain_across_reopen() {
    let (_dir, path) = journal_with(3);
    let mut j = Journal::open(&path).unwrap();
    let stored = j.append(&[note(4)]).unwrap();
    assert_eq!(stored[0].seq, 4);
    let report = j.verify().unwrap().unwrap();
    assert_eq!(report.records, 4);
}

#[test]
fn intact_journal_verifies() {
    let (_dir, path) = journal_with(10);
    let report = Journal::open_existing(&path)
        .unwrap()
        .verify()
        .unwrap()
        .unwrap();
    assert_eq!(report.records, 10);
    assert_eq!(report.head.len(), 64);
}

#[test]
fn the_file_refuses_ordinary_edits() {
    let (_dir, path) = journal_with(2);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let err = conn
        .execute("UPDATE records SET data = '{}' WHERE seq = 1", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(
        conn.execute("DELETE FROM records WHERE seq = 1", [])
            .is_err()
    );
}

#[test]
fn an_edited_record_is_named() {
    let (_dir, path) = journal_with(10);
    tamper(
        &path,
        r#"UPDATE records SET data = '{"text":"nothing happened"}' WHERE seq = 4"#,
    );
    let err = verify_err(&path);
    assert_eq!((err.seq, err.problem.clone()), (4, Problem::Edited));
    assert!(err.to_string().starts_with("record 4 (note at "), "{err}");
}

#[test]
fn a_deleted_record_is_named() {
    let (_dir, path) = journal_with(10);
    tamper(&path, "DELETE FROM records WHERE seq = 6");
    let err = verify_err(&path);
    assert_eq!(err.problem, Problem::Missing { first: 6, last: 6 });
    assert!(err.to_string().contains("record 6 was removed"), "{err}");
}

#[test]
fn a_deleted_and_renumbered_record_is_caught() {
    let (_dir, path) = journal_with(10);
    tamper(
        &path,
        "DELETE FROM records WHERE seq = 6; UPDATE records SET seq = seq - 1 WHERE seq > 6;",
    );
    let err = verify_err(&path);
    assert_eq!(err.seq, 6);
}

#[test]
fn reordered_records_are_named() {
    let (_dir, path) = journal_with(10);
    tamper(
        &path,
        "UPDATE records SET seq = 100 WHERE seq = 3;
         UPDATE records SET seq = 3 WHERE seq = 4;
         UPDATE records SET seq = 4 WHERE seq = 100;",
    );
    let err = verify_err(&path);
    assert_eq!(err.seq, 3);
    assert_eq!(err.problem, Problem::Reordered { written_after: 4 });
    assert!(err.to_string().contains("out of order"), "{err}");
}

#[test]
fn records_removed_from_the_end_are_caught() {
    let (_dir, path) = journal_with(10);
    tamper(&path, "DELETE FROM records WHERE seq > 8");
    let err = verify_err(&path);
    assert_eq!(err.problem, Problem::Truncated { last: 8, head: 10 });
}

#[test]
fn two_writers_on_one_file_keep_one_chain() {
    let (_dir, path) = journal_with(1);
    let handles: Vec<_> = (0..2)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut j = Journal::open(&path).unwrap();
                for i in 0..25 {
                    j.append(&[note(w * 100 + i)]).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let j = Journal::open_existing(&path).unwrap();
    assert_eq!(j.verify().unwrap().unwrap().records, 51);
}

#[test]
fn missing_and_foreign_files_are_refused_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.sqlite");
    let err = Journal::open_existing(&missing).err().unwrap();
    assert!(err.to_string().contains("nope.sqlite"), "{err}");
    let foreign = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t(x)")
        .unwrap();
    let err = Journal::open_existing(&foreign).err().unwrap();
    assert!(err.to_string().contains("not a warroom journal"), "{err}");
}

#[test]
fn the_tail_thread_reports_own_and_foreign_appends_in_order() {
    let (_dir, path) = journal_with(2);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let task = JournalTask::spawn(
            Journal::open(&path).unwrap(),
            0,
            tx,
            std::time::Duration::from_millis(20),
        );
        task.writer().append(vec![note(3)]);
        // Another process (here: another connection) appends too.
        Journal::open(&path).unwrap().append(&[note(4)]).unwrap();
        let mut seqs = Vec::new();
        while seqs.len() < 4 {
            match tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await {
                Ok(Some(TailEvent::Records(recs))) => seqs.extend(recs.iter().map(|r| r.seq)),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(seqs, vec![1, 2, 3, 4]);
        task.shutdown();
    });
}

#[test]
fn a_lease_has_one_holder_until_it_expires() {
    let (_dir, path) = journal_with(1);
    let mut a = Journal::open(&path).unwrap();
    let mut b = Journal::open(&path).unwrap();
    assert!(a.try_lease("mirror", "a", 1000, 30).unwrap());
    assert!(!b.try_lease("mirror", "b", 1010, 30).unwrap(), "a holds it");
    assert!(a.try_lease("mirror", "a", 1020, 30).unwrap(), "renewed");
    assert!(!b.try_lease("mirror", "b", 1049, 30).unwrap());
    assert!(
        b.try_lease("mirror", "b", 1051, 30).unwrap(),
        "expired: taken over"
    );
    assert!(!a.try_lease("mirror", "a", 1052, 30).unwrap());
    // Leases live beside the records: the chain is untouched.
    assert!(a.verify().unwrap().is_ok());
}

#[test]
fn appends_are_written_even_when_nobody_reads_the_tail() {
    let (_dir, path) = journal_with(1);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    drop(rx);
    let task = JournalTask::spawn(
        Journal::open(&path).unwrap(),
        0,
        tx,
        std::time::Duration::from_millis(10),
    );
    task.writer().append(vec![note(2)]);
    std::thread::sleep(std::time::Duration::from_millis(50));
    task.writer().append(vec![note(3)]);
    task.shutdown();
    assert_eq!(
        Journal::open_existing(&path).unwrap().last_seq().unwrap(),
        3
    );
}

#[test]
fn a_decision_is_written_once_however_many_connections_race() {
    use crate::model::{Action, ActionStep, Origin, Step};
    let (_dir, path) = journal_with(1);
    let action = Action::DenyAll {
        user: "ci-deploy".into(),
    };
    let step = |s: Step| {
        NewRecord::new(
            Utc::now(),
            "tester",
            RecordBody::Action(ActionStep {
                action_id: "act-x".into(),
                step: s,
            }),
        )
    };
    Journal::open(&path)
        .unwrap()
        .append(&[step(Step::Requested {
            action: action.clone(),
            origin: Origin::Slack,
            calls: vec![],
            expires_at: None,
            runs_at: None,
        })])
        .unwrap();
    let fingerprint = action.fingerprint();
    let winners: usize = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..6)
            .map(|_| {
                let (path, fingerprint) = (&path, &fingerprint);
                scope.spawn(move || {
                    let mut j = Journal::open(path).unwrap();
                    j.append_decision("act-x", fingerprint, &[step(Step::Confirmed)])
                        .unwrap()
                        .is_ok() as usize
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).sum()
    });
    assert_eq!(winners, 1);
    let j = Journal::open(&path).unwrap();
    let view = j.request("act-x").unwrap().unwrap();
    assert_eq!(view.settled.as_ref().map(|s| s.step), Some("confirmed"));
    let mut j = j;
    assert!(matches!(
        j.append_decision("act-x", "deactivate:other:000000", &[step(Step::Cancelled)])
            .unwrap(),
        Err(Conflict::Mismatch { .. })
    ));
    assert!(matches!(
        j.append_decision("act-nope", &fingerprint, &[step(Step::Cancelled)])
            .unwrap(),
        Err(Conflict::Unknown)
    ));
    assert_eq!(j.last_seq().unwrap(), 3, "one request, one confirmation");
}

#[test]
fn replayed_signatures_are_remembered_across_connections() {
    let (_dir, path) = journal_with(1);
    assert!(
        Journal::open(&path)
            .unwrap()
            .remember_request("v0=ab", 1000, 0)
            .unwrap()
    );
    // A restart: a new connection, the same file.
    let mut again = Journal::open(&path).unwrap();
    assert!(!again.remember_request("v0=ab", 1000, 0).unwrap());
    // Once outside the window it is forgotten (and could not be accepted anyway).
    assert!(again.remember_request("v0=ab", 1000, 1001).unwrap());
    assert!(again.verify().unwrap().is_ok(), "the chain is untouched");
}

#[test]
fn what_cannot_be_written_is_refused_to_waiters_and_counted_at_the_end() {
    let (_dir, path) = journal_with(1);
    let journal = Journal::open(&path).unwrap();
    journal.fail_writes_as_if_full();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = JournalTask::spawn(journal, 1, tx, std::time::Duration::from_millis(10));
    task.writer().append(vec![note(2), note(3)]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let committed = rt.block_on(task.writer().commit(vec![note(4)]));
    let why = committed.expect_err("nothing can be written").to_string();
    assert!(why.contains("database or disk is full"), "{why}");
    assert!(why.contains("2 earlier records are still waiting"), "{why}");
    assert_eq!(
        task.shutdown(),
        2,
        "the queued records are counted, not lost silently"
    );
    let reported: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok())
        .filter_map(|e| match e {
            TailEvent::Error(e) => Some(e),
            TailEvent::Records(_) => None,
        })
        .collect();
    assert_eq!(
        reported.len(),
        1,
        "reported once, not on every retry: {reported:?}"
    );
    assert_eq!(
        Journal::open_existing(&path).unwrap().last_seq().unwrap(),
        1
    );
}

#[test]
fn a_backlog_goes_in_record_by_record_as_room_is_freed() {
    let (_dir, path) = journal_with(1);
    let journal = Journal::open(&path).unwrap();
    // A disk with `room` bytes left, kept in the file so another connection can free some:
    // a record that does not fit fails as a full disk does.
    journal
        .conn
        .execute_batch(
            "INSERT INTO meta (key, value) VALUES ('test:room', '0');
             CREATE TEMP TRIGGER room_check BEFORE INSERT ON records
             WHEN CAST((SELECT value FROM main.meta WHERE key = 'test:room') AS INTEGER)
                  < length(NEW.data)
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
             CREATE TEMP TRIGGER room_use AFTER INSERT ON records
             BEGIN UPDATE main.meta SET value = CAST(value AS INTEGER) - length(NEW.data)
                   WHERE key = 'test:room'; END;",
        )
        .unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let task = JournalTask::spawn(journal, 1, tx, std::time::Duration::from_millis(10));
    task.writer().append(vec![note(2), note(3), note(4)]);
    std::thread::sleep(std::time::Duration::from_millis(100));
    let seq = || Journal::open_existing(&path).unwrap().last_seq().unwrap();
    assert_eq!(seq(), 1, "nothing fits yet");
    // Room for two of the three: all three at once would never fit, one by one two do.
    let size = note(2).body.data().len() as i64;
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE meta SET value = ?1 WHERE key = 'test:room'",
            [2 * size + size / 2],
        )
        .unwrap();
    let start = std::time::Instant::now();
    while seq() < 3 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the backlog is stuck"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(task.shutdown(), 1, "the third still waits, and is counted");
    let texts: Vec<String> = Journal::open_existing(&path)
        .unwrap()
        .read_all()
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.body {
            RecordBody::Note(n) => Some(n.text),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["note 1", "note 2", "note 3"], "in order");
}

/// What a read-only mount leaves: the journal read as an immutable file (the WAL's index
/// cannot be made beside it there), every record as written and the chain intact.
#[test]
fn a_journal_can_be_read_where_nothing_can_be_written() {
    let (_dir, path) = journal_with(5);
    let written = Journal::open_existing(&path).unwrap().read_all().unwrap();
    let read = Journal::connect_immutable(&path).unwrap();
    assert_eq!(read.read_all().unwrap(), written);
    assert!(read.verify().is_ok());
    assert!(Journal::cannot_open(&rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
        None
    )));
}
