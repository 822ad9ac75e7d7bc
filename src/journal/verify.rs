//! Walks the chain and names the first record that was edited, removed or reordered.

use super::chain;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use std::fmt;

/// An intact journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: i64,
    /// The hash of the last record: quote it elsewhere to pin the journal's contents.
    pub head: String,
}

/// What is wrong with the first bad record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Its contents no longer match its hash.
    Edited,
    /// Records `first..=last` are missing before this one.
    Missing { first: i64, last: i64 },
    /// It was written after the record numbered `written_after`, yet stands before it.
    Reordered { written_after: i64 },
    /// Its predecessor hash names no record of this journal.
    Unchained,
    /// The journal once reached record `head`; everything after `last` was removed.
    Truncated { last: i64, head: i64 },
}

/// The first bad record, named by its number, kind and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    pub seq: i64,
    pub kind: String,
    pub at: String,
    pub problem: Problem,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = format!("record {} ({} at {})", self.seq, self.kind, self.at);
        match &self.problem {
            Problem::Edited => write!(f, "{what} was edited: its contents do not match its hash"),
            Problem::Missing { first, last } if first == last => {
                write!(
                    f,
                    "record {first} was removed: {what} follows record {}",
                    first - 1
                )
            }
            Problem::Missing { first, last } => write!(
                f,
                "records {first} to {last} were removed: {what} follows record {}",
                first - 1
            ),
            Problem::Reordered { written_after } => write!(
                f,
                "{what} is out of order: it was written after record {written_after}"
            ),
            Problem::Unchained => write!(
                f,
                "{what} does not chain to the record before it: a record was inserted or replaced"
            ),
            Problem::Truncated { last, head } => write!(
                f,
                "records {} to {head} were removed from the end: the journal reached record {head}, the last one left is {what}",
                last + 1
            ),
        }
    }
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    kind: String,
    data: String,
    prev_hash: String,
    hash: String,
}

pub(super) fn verify(conn: &Connection) -> rusqlite::Result<Result<VerifyReport, VerifyError>> {
    let mut stmt = conn
        .prepare("SELECT seq, at, actor, kind, data, prev_hash, hash FROM records ORDER BY seq")?;
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok(Row {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                kind: r.get(3)?,
                data: r.get(4)?,
                prev_hash: r.get(5)?,
                hash: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let head: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'head'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(check(&rows, head.as_deref()))
}

fn check(rows: &[Row], head: Option<&str>) -> Result<VerifyReport, VerifyError> {
    // Where each stored hash stands, to tell a reordered record from an edited one.
    let position: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.hash.as_str(), i))
        .collect();
    let fail = |row: &Row, problem| VerifyError {
        seq: row.seq,
        kind: row.kind.clone(),
        at: row.at.clone(),
        problem,
    };
    let mut expected_prev = chain::GENESIS;
    for (i, row) in rows.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if let Some(&p) = position.get(row.prev_hash.as_str()).filter(|&&p| p >= i) {
            return Err(fail(
                row,
                Problem::Reordered {
                    written_after: rows[p].seq,
                },
            ));
        }
        let recomputed = chain::hash(&chain::Row {
            seq: row.seq,
            at: &row.at,
            actor: &row.actor,
            kind: &row.kind,
            data: &row.data,
            prev_hash: &row.prev_hash,
        });
        if recomputed != row.hash {
            return Err(fail(row, Problem::Edited));
        }
        if row.seq != expected_seq {
            return Err(fail(
                row,
                Problem::Missing {
                    first: expected_seq,
                    last: row.seq - 1,
                },
            ));
        }
        if row.prev_hash != expected_prev {
            return Err(fail(row, Problem::Unchained));
        }
        expected_prev = &row.hash;
    }
    let last_seq = rows.last().map_or(0, |r| r.seq);
    if let Some((head_seq, head_hash)) = head.and_then(|h| h.split_once(':')) {
        let head_seq: i64 = head_seq.parse().unwrap_or(0);
        if head_seq > last_seq {
            let problem = Problem::Truncated {
                last: last_seq,
                head: head_seq,
            };
            return Err(match rows.last() {
                Some(row) => fail(row, problem),
                None => VerifyError {
                    seq: 0,
                    kind: "none".into(),
                    at: "-".into(),
                    problem,
                },
            });
        }
        if head_seq == last_seq
            && head_hash != expected_prev
            && let Some(row) = rows.last()
        {
            return Err(fail(row, Problem::Unchained));
        }
    }
    Ok(VerifyReport {
        records: last_seq,
        head: expected_prev.to_string(),
    })
}
