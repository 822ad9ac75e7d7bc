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
    use std::process::Command;

    fn git(dir: &Path, who: (&str, &str), when: &str, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .env("GIT_AUTHOR_DATE", when)
            .env("GIT_COMMITTER_DATE", when)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn the_authors_of_a_resource_come_from_the_history_latest_first() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let dana = ("Dana Kim", "dana@example.com");
        let li = ("Li Wei", "li@example.com");
        let sam = ("Sam Ortiz", "sam@example.com");
        git(d, dana, "2026-10-01T10:00:00Z", &["init", "-q"]);
        let v1 = "Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: orders\n  Site:\n    Type: AWS::S3::Bucket\n";
        std::fs::write(d.join("app.yaml"), v1).unwrap();
        git(d, dana, "2026-10-01T10:00:00Z", &["add", "app.yaml"]);
        git(
            d,
            dana,
            "2026-10-01T10:00:00Z",
            &["commit", "-qm", "tables"],
        );
        // Li changes the table later; Sam only touches the bucket.
        let v2 = v1.replace(
            "TableName: orders",
            "TableName: orders\n      BillingMode: PAY_PER_REQUEST",
        );
        std::fs::write(d.join("app.yaml"), &v2).unwrap();
        git(
            d,
            li,
            "2026-11-20T09:00:00Z",
            &["commit", "-qam", "on demand"],
        );
        let v3 = v2.replace(
            "AWS::S3::Bucket",
            "AWS::S3::Bucket\n    DeletionPolicy: Retain",
        );
        std::fs::write(d.join("app.yaml"), v3).unwrap();
        git(
            d,
            sam,
            "2026-11-25T09:00:00Z",
            &["commit", "-qam", "keep the site"],
        );

        // The table is lines 2 to 6 (1-based): Orders up to the bucket.
        let who = authors(&blame(&d.join("app.yaml")).unwrap(), 1..6);
        let names: Vec<&str> = who.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Li Wei", "Dana Kim"]);
        assert_eq!(who[0].email, "li@example.com");
        // A file outside any repository has no history, and that is not an error.
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("x.yaml"), v1).unwrap();
        assert!(blame(&elsewhere.path().join("x.yaml")).unwrap().is_empty());
    }
}
