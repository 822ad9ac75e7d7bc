//! The incident journal: an append-only, hash-chained SQLite file, one per incident.
//!
//! The TUI and the Slack bridge may have the same journal open at once: SQLite's WAL mode
//! lets readers proceed while one writer appends, and each append is one `IMMEDIATE`
//! transaction that reads the head and writes the next records atomically.

mod chain;
mod requests;
mod tail;
mod verify;

pub use requests::{Conflict, RequestView, Settled};
pub use tail::{JournalTask, JournalWriter, TailEvent, Unavailable};
pub use verify::{VerifyError, VerifyReport};

use crate::model::{NewRecord, Record, RecordBody};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the journal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("journal {path} does not exist")]
    Missing { path: PathBuf },
    #[error("journal {path}: cannot create its directory: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("journal {path} is not a warroom journal (no records table)")]
    NotAJournal { path: PathBuf },
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    data      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kind ON records(kind);
-- The steps of one request, found without reading every record (the exactly-once guard).
CREATE INDEX IF NOT EXISTS records_action ON records(json_extract(data, '$.action_id'))
    WHERE kind = 'action';
-- Slack request signatures already handled, so a captured request is refused as a replay
-- after a restart too, and by every bridge on the journal.
CREATE TABLE IF NOT EXISTS seen_requests (signature TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Records are never changed once written. These triggers stop accidents; deliberate tampering
-- (dropping them first) is what `warroom verify` catches.
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'journal records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'journal records are append-only'); END;
";

pub use crate::model::time::format as format_time;
use crate::model::time::parse as parse_time;

/// Whether `path` is an SQLite file (an incident journal) rather than CloudTrail.
pub fn is_journal_file(path: &Path) -> bool {
    let mut head = [0u8; 16];
    path.is_file()
        && std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .is_ok_and(|_| &head == b"SQLite format 3\0")
}

/// An open journal file.
pub struct Journal {
    conn: Connection,
    path: PathBuf,
}

impl Journal {
    /// Opens the journal at `path`, creating it (and its directory) if needed.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| JournalError::Dir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let journal = Journal::connect(path, OpenFlags::default())?;
        journal
            .conn
            .execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .and_then(|_| journal.conn.execute_batch(SCHEMA))
            .map_err(|source| journal.err(source))?;
        Ok(journal)
    }

    /// Whether SQLite could not open (or write beside) the file: a read-only place.
    fn cannot_open(e: &rusqlite::Error) -> bool {
        matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
        )
    }

    /// Opens an existing journal without creating anything (verify, replay, export).
    pub fn open_existing(path: &Path) -> Result<Journal, JournalError> {
        if !path.exists() {
            return Err(JournalError::Missing {
                path: path.to_path_buf(),
            });
        }
        let journal = Journal::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let journal = match journal.has_records_table() {
            Ok(_) => journal,
            // On a read-only mount (a copy handed over for the postmortem, evidence storage)
            // SQLite cannot make the WAL's index beside the file: read it as the immutable
            // file it is there.
            Err(e) if Self::cannot_open(&e) => Journal::connect_immutable(path)?,
            Err(source) => return Err(journal.err(source)),
        };
        let has_table = journal
            .has_records_table()
            .map_err(|source| journal.err(source))?;
        if !has_table {
            return Err(JournalError::NotAJournal {
                path: path.to_path_buf(),
            });
        }
        Ok(journal)
    }

    fn has_records_table(&self) -> rusqlite::Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='records'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
    }

    /// Read-only, and promising SQLite that nothing changes the file while it is open.
    fn connect_immutable(path: &Path) -> Result<Journal, JournalError> {
        let url = url::Url::from_file_path(
            std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
        )
        .map(|u| format!("{u}?immutable=1"))
        .unwrap_or_else(|_| format!("file:{}?immutable=1", path.display()));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            Connection::open_with_flags(&url, flags).map_err(|source| JournalError::Sqlite {
                path: path.to_path_buf(),
                source,
            })?;
        Journal::with(path, conn)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Journal, JournalError> {
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| JournalError::Sqlite {
                path: path.to_path_buf(),
                source,
            })?;
        Journal::with(path, conn)
    }

    fn with(path: &Path, conn: Connection) -> Result<Journal, JournalError> {
        let journal = Journal {
            conn,
            path: path.to_path_buf(),
        };
        journal
            .conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|source| journal.err(source))?;
        Ok(journal)
    }

    fn err(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends records in order and returns them as stored. All or none are written.
    pub fn append(&mut self, records: &[NewRecord]) -> Result<Vec<Record>, JournalError> {
        match self.append_if(records, |_| Ok(Ok::<(), std::convert::Infallible>(())))? {
            Ok(stored) => Ok(stored),
            Err(never) => match never {},
        }
    }

    /// Appends a decision on request `action_id` (its confirmation, cancellation or expiry)
    /// only if the request exists, is for the action `fingerprint` names, and nobody has
    /// decided it yet — checked in the transaction that writes it, so of any number of
    /// racing deciders, in any number of processes, exactly one succeeds.
    pub fn append_decision(
        &mut self,
        action_id: &str,
        fingerprint: &str,
        records: &[NewRecord],
    ) -> Result<Result<Vec<Record>, Conflict>, JournalError> {
        self.append_if(records, |tx| requests::check(tx, action_id, fingerprint))
    }

    /// What the journal holds of request `action_id`.
    pub fn request(&self, action_id: &str) -> Result<Option<RequestView>, JournalError> {
        requests::read(&self.conn, action_id).map_err(|source| self.err(source))
    }

    /// Notes that a request signed `signature` at Unix time `at` was handled; false when it
    /// had been already (a replay). Signatures older than `forget_before` are dropped: their
    /// timestamps are outside the window in which a request is accepted at all.
    pub fn remember_request(
        &mut self,
        signature: &str,
        at: i64,
        forget_before: i64,
    ) -> Result<bool, JournalError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM seen_requests WHERE at < ?1",
                params![forget_before],
            )?;
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO seen_requests (signature, at) VALUES (?1, ?2)",
                params![signature, at],
            )?;
            Ok(inserted == 1)
        })
    }

    /// Runs `work` in one `IMMEDIATE` transaction (the file's one writer until it ends) and
    /// commits what it wrote.
    fn write<T>(
        &mut self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, JournalError> {
        let path = self.path.clone();
        let err = |source| JournalError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let out = work(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }

    /// Appends `records` in one transaction if `guard`, run inside it, allows.
    fn append_if<E>(
        &mut self,
        records: &[NewRecord],
        guard: impl FnOnce(&Connection) -> rusqlite::Result<Result<(), E>>,
    ) -> Result<Result<Vec<Record>, E>, JournalError> {
        self.write(|tx| {
            if let Err(refused) = guard(tx)? {
                return Ok(Err(refused));
            }
            if records.is_empty() {
                return Ok(Ok(Vec::new()));
            }
            let head: Option<(i64, String)> = tx
                .query_row(
                    "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (mut seq, mut prev) = head.unwrap_or((0, chain::GENESIS.to_string()));
            let mut stored = Vec::with_capacity(records.len());
            let mut insert = tx.prepare_cached(
                "INSERT INTO records (seq, at, actor, kind, data, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for rec in records {
                seq += 1;
                let at = format_time(rec.at);
                let kind = rec.body.kind();
                let data = rec.body.data();
                let hash = chain::hash(&chain::Row {
                    seq,
                    at: &at,
                    actor: &rec.actor,
                    kind,
                    data: &data,
                    prev_hash: &prev,
                });
                insert.execute(params![seq, at, rec.actor, kind, data, prev, hash])?;
                prev = hash;
                stored.push(Record {
                    seq,
                    // Read back at the stored precision so a reopened journal folds identically.
                    at: parse_time(&at).unwrap_or(rec.at),
                    actor: rec.actor.clone(),
                    body: rec.body.clone(),
                });
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('head', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![format!("{seq}:{prev}")],
            )?;
            Ok(Ok(stored))
        })
    }

    /// The number of the last record, 0 when empty.
    pub fn last_seq(&self) -> Result<i64, JournalError> {
        self.conn
            .query_row("SELECT coalesce(max(seq), 0) FROM records", [], |r| {
                r.get(0)
            })
            .map_err(|source| self.err(source))
    }

    /// Records after `after_seq`, in order, at most `limit` of them.
    ///
    /// A record whose data no longer parses is returned as [`RecordBody::Unknown`] (and
    /// logged), so one bad row never hides the rest.
    pub fn read_after(&self, after_seq: i64, limit: usize) -> Result<Vec<Record>, JournalError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, at, actor, kind, data FROM records WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(|source| self.err(source))?;
        let rows = stmt
            .query_map(params![after_seq, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|source| self.err(source))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, at, actor, kind, data) = row.map_err(|source| self.err(source))?;
            let body = RecordBody::parse(&kind, &data).unwrap_or_else(|e| {
                tracing::warn!(journal = %self.path.display(), seq, "{e}");
                RecordBody::Unknown { kind, data }
            });
            out.push(Record {
                seq,
                at: parse_time(&at).unwrap_or_default(),
                actor,
                body,
            });
        }
        Ok(out)
    }

    /// Every record, in order.
    pub fn read_all(&self) -> Result<Vec<Record>, JournalError> {
        self.read_after(0, usize::MAX >> 1)
    }

    /// A value from the journal's metadata table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, JournalError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|source| self.err(source))
    }

    /// Takes or renews the lease `name` for `owner` until `now + ttl` (Unix seconds), unless
    /// someone else holds it and it has not expired. Lets several processes on one journal
    /// agree which of them does a job (delivering the Slack outbox) without a server.
    pub fn try_lease(
        &mut self,
        name: &str,
        owner: &str,
        now: i64,
        ttl: i64,
    ) -> Result<bool, JournalError> {
        let key = format!("lease:{name}");
        self.write(|tx| {
            let current: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| {
                    r.get(0)
                })
                .optional()?;
            let free = match current.as_deref().and_then(|v| v.rsplit_once(' ')) {
                None => true,
                Some((holder, until)) => {
                    holder == owner || until.parse::<i64>().map_or(true, |u| u < now)
                }
            };
            if free {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, format!("{owner} {}", now + ttl)],
                )?;
            }
            Ok(free)
        })
    }

    /// Makes every append on this connection fail as a full disk does, for tests.
    #[cfg(test)]
    pub(crate) fn fail_writes_as_if_full(&self) {
        self.conn
            .execute_batch(
                "CREATE TEMP TRIGGER disk_full BEFORE INSERT ON records
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
            )
            .unwrap();
    }

    /// Checks the whole chain; see [`verify`](self::verify).
    pub fn verify(&self) -> Result<Result<VerifyReport, VerifyError>, JournalError> {
        verify::verify(&self.conn).map_err(|source| self.err(source))
    }
}

#[cfg(test)]
mod tests;
