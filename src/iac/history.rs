//! Who wrote a template's lines, from the repository's history (blame, read with gix: no
//! `git` subprocess), most recent first.

use chrono::{DateTime, TimeZone, Utc};
use std::ops::Range;
use std::path::Path;

/// Someone who wrote or last changed some of the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
    /// When their latest commit to those lines was made.
    pub at: DateTime<Utc>,
}

/// Who committed each run of lines of `file` at HEAD: `(lines, author)`, lines 0-based
/// with the end excluded. Empty when the file is in no repository.
pub fn blame(file: &Path) -> Result<Vec<(Range<usize>, Author)>, String> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let Ok(repo) = gix::discover(dir) else {
        return Ok(Vec::new());
    };
    let name = |e: &dyn std::fmt::Display| format!("{}: {e}", file.display());
    let root = repo
        .workdir()
        .ok_or_else(|| format!("{}: the repository has no work tree", file.display()))?;
    let absolute = std::fs::canonicalize(file).map_err(|e| name(&e))?;
    let root = std::fs::canonicalize(root).map_err(|e| name(&e))?;
    let relative = absolute
        .strip_prefix(&root)
        .map_err(|e| name(&e))?
        .to_string_lossy()
        .replace('\\', "/");
    let head = repo.head_id().map_err(|e| name(&e))?;
    let outcome = repo
        .blame_file(relative.as_str().into(), head.detach(), Default::default())
        .map_err(|e| name(&e))?;
    let mut out = Vec::new();
    for entry in &outcome.entries {
        let start = entry.start_in_blamed_file as usize;
        let end = start + entry.len.get() as usize;
        let commit = repo.find_commit(entry.commit_id).map_err(|e| name(&e))?;
        let author = commit.author().map_err(|e| name(&e))?;
        let seconds = commit.time().map_err(|e| name(&e))?.seconds;
        out.push((
            start..end,
            Author {
                name: author.name.to_string(),
                email: author.email.to_string(),
                at: Utc.timestamp_opt(seconds, 0).single().unwrap_or_default(),
            },
        ));
    }
    Ok(out)
}

/// The authors of `lines` in a blame, each once, the most recent first.
pub fn authors(blame: &[(Range<usize>, Author)], lines: Range<usize>) -> Vec<Author> {
    let mut found: Vec<Author> = Vec::new();
    for (run, who) in blame {
        if run.end <= lines.start || run.start >= lines.end {
            continue;
        }
        match found.iter_mut().find(|a| a.email == who.email) {
            Some(a) => a.at = a.at.max(who.at),
            None => found.push(who.clone()),
        }
    }
    found.sort_by_key(|a| std::cmp::Reverse(a.at));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    // Who wrote what, in order, against a repository made for the purpose: tests/it/iac.rs.

    #[test]
    fn a_file_in_no_repository_has_no_history_and_that_is_not_an_error() {
        let elsewhere = tempfile::tempdir().unwrap();
        let file = elsewhere.path().join("x.yaml");
        std::fs::write(&file, "Resources: {}\n").unwrap();
        assert!(blame(&file).unwrap().is_empty());
    }

    #[test]
    fn authors_are_those_of_the_lines_asked_latest_first_once_each() {
        let at = |d: i64| Utc.timestamp_opt(1_790_000_000 + d * 86_400, 0).unwrap();
        let who = |n: &str, d| Author {
            name: n.into(),
            email: format!("{n}@example.com"),
            at: at(d),
        };
        let blame = vec![
            (0..2, who("dana", 1)),
            (2..3, who("li", 5)),
            (3..5, who("dana", 2)),
            (5..9, who("sam", 9)),
        ];
        let names: Vec<String> = authors(&blame, 1..5).into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["li", "dana"]);
        assert_eq!(
            authors(&blame, 1..5)[1].at,
            at(2),
            "a person's latest change counts"
        );
    }
}
