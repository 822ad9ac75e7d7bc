//! The demo account's infrastructure repository: its templates (`examples/demo-infra`, the
//! `INFRA` of the scenario) with the history of the engineers who wrote them, written as a
//! real git repository when the demo starts, so a finding's authors come from blame just as
//! they do for a team's own repository.

use super::scenario::INFRA;
use gix::objs::tree::EntryKind;
use std::path::{Path, PathBuf};

/// One commit of the history: who, when (seconds since the epoch, UTC), why, and what the
/// files were afterwards.
struct Commit {
    name: &'static str,
    email: &'static str,
    at: i64,
    message: &'static str,
    files: Vec<(&'static str, String)>,
}

/// Blocks of the final templates that came later than the first commit, and who added
/// them: (file, text, commit index).
const LATER: &[(&str, &str, usize)] = &[
    // The first of three: the orders table's.
    (
        "stacks/orders-api.yaml",
        "      BillingMode: PAY_PER_REQUEST\n",
        1,
    ),
    (
        "stacks/orders-api.yaml",
        "      PointInTimeRecoverySpecification:\n        PointInTimeRecoveryEnabled: true\n",
        1,
    ),
    (
        "stacks/orders-api.yaml",
        "      TimeToLiveSpecification:\n        AttributeName: expiresAt\n        Enabled: true\n",
        2,
    ),
];

/// The history, oldest first: Dana Kim wrote the tables and the site; Li Wei moved the
/// orders table to on-demand billing and gave customers point-in-time recovery; later
/// sessions a time to live. Its last commit holds exactly the templates the demo carries.
fn history() -> Vec<Commit> {
    let at = |n: usize| {
        INFRA
            .iter()
            .map(|(path, text)| {
                let mut text = text.to_string();
                for (file, block, from) in LATER {
                    if file == path && *from > n {
                        text = text.replacen(block, "", 1);
                    }
                }
                (*path, text)
            })
            .collect::<Vec<_>>()
    };
    vec![
        Commit {
            name: "Dana Kim",
            email: "dana.kim@tideline.example",
            at: 1_791_797_400, // 2026-10-12 09:30 UTC
            message: "orders API: the tables and the function's role; the marketing site\n",
            files: at(0),
        },
        Commit {
            name: "Li Wei",
            email: "li.wei@tideline.example",
            at: 1_792_505_400, // 2026-10-20 14:10 UTC
            message: "orders on demand; customers can be restored to a point in time\n",
            files: at(1),
        },
        Commit {
            name: "Li Wei",
            email: "li.wei@tideline.example",
            at: 1_793_619_900, // 2026-11-02 11:45 UTC
            message: "sessions expire\n",
            files: at(2),
        },
    ]
}

/// Writes the repository under `dir` (made if missing; an earlier one there is replaced)
/// and returns its path.
pub fn write_repository(dir: &Path) -> Result<PathBuf, String> {
    let root = dir.join("demo-infra");
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        format!(
            "the demo's infrastructure repository ({}): {what}: {e}",
            root.display()
        )
    };
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(|e| failed("removing the old one", &e))?;
    }
    std::fs::create_dir_all(&root).map_err(|e| failed("creating it", &e))?;
    let repo = gix::init(&root).map_err(|e| failed("git init", &e))?;
    // The branch is `main` whatever the user's git configuration prefers.
    std::fs::write(repo.git_dir().join("HEAD"), "ref: refs/heads/main\n")
        .map_err(|e| failed("HEAD", &e))?;
    let mut parent: Option<gix::ObjectId> = None;
    let mut last = Vec::new();
    for c in history() {
        let base = match parent {
            Some(p) => repo
                .find_commit(p)
                .and_then(|c| Ok(c.tree_id()?.detach()))
                .map_err(|e| failed("reading the last commit", &e))?,
            None => gix::ObjectId::empty_tree(repo.object_hash()),
        };
        let mut tree = repo.edit_tree(base).map_err(|e| failed("a tree", &e))?;
        for (path, text) in &c.files {
            let blob = repo
                .write_blob(text.as_bytes())
                .map_err(|e| failed(path, &e))?;
            tree.upsert(*path, EntryKind::Blob, blob)
                .map_err(|e| failed(path, &e))?;
        }
        let tree = tree.write().map_err(|e| failed("a tree", &e))?;
        let mut time = gix::date::parse::TimeBuf::default();
        let who = gix::actor::SignatureRef {
            name: c.name.into(),
            email: c.email.into(),
            time: gix::date::Time::new(c.at, 0).to_str(&mut time),
        };
        let id = repo
            .commit_as(who, who, "HEAD", c.message, tree, parent)
            .map_err(|e| failed(c.message.trim(), &e))?;
        parent = Some(id.detach());
        last = c.files;
    }
    // The work tree, as a checkout would leave it: blame reads the files from here.
    for (path, text) in last {
        let file = root.join(path);
        if let Some(d) = file.parent() {
            std::fs::create_dir_all(d).map_err(|e| failed(path, &e))?;
        }
        std::fs::write(&file, text).map_err(|e| failed(path, &e))?;
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_ends_in_the_templates_the_demo_carries() {
        let h = history();
        let last = &h.last().unwrap().files;
        for (path, text) in INFRA {
            let at_head = last.iter().find(|(p, _)| p == path).unwrap();
            assert_eq!(at_head.1, *text, "{path}");
        }
        // Every later block came with its commit.
        let count = |commit: usize, path: &str, block: &str| {
            let files = &h[commit].files;
            files
                .iter()
                .find(|(p, _)| *p == path)
                .unwrap()
                .1
                .matches(block)
                .count()
        };
        for (path, block, from) in LATER {
            assert_eq!(
                count(from - 1, path, block) + 1,
                count(*from, path, block),
                "{block:?}"
            );
        }
    }

    #[test]
    fn the_demo_repository_gives_each_table_its_authors() {
        let dir = tempfile::tempdir().unwrap();
        let root = write_repository(dir.path()).unwrap();
        let (code, problems) = crate::iac::locate::Code::load(&[root], Default::default());
        assert!(problems.is_empty(), "{problems:?}");
        let authors = |table: &str| {
            let f: crate::model::Finding = serde_json::from_value(serde_json::json!({
                "rule": "dynamodb-table-encryption-enabled", "rule_description": "",
                "resource_type": "AWS::DynamoDB::Table", "resource_id": table,
                "region": "us-east-1", "compliance": "NON_COMPLIANT"}))
            .unwrap();
            let c = code.finding(&f, None).unwrap();
            c.authors.into_iter().map(|a| a.name).collect::<Vec<_>>()
        };
        assert_eq!(authors("orders"), ["Li Wei", "Dana Kim"]);
        assert_eq!(authors("customers"), ["Li Wei", "Dana Kim"]);
        assert_eq!(authors("sessions-v2"), ["Li Wei", "Dana Kim"]);
        // Written again over an earlier one, it is the same.
        let again = write_repository(dir.path()).unwrap();
        assert!(again.join("stacks/orders-api.yaml").exists());
    }
}
