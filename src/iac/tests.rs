//! The conformance suite: AWS's Guard rules registry's own test cases (copied under
//! `tests/data/guard-rules-registry`), judged by the warroom rule that answers to each
//! case's rule name.

use super::*;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    input: serde_norway::Value,
    expectations: Expectations,
}

#[derive(serde::Deserialize)]
struct Expectations {
    rules: BTreeMap<String, String>,
}

fn cases() -> Vec<(PathBuf, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/guard-rules-registry");
    let mut out = Vec::new();
    for f in walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !f.path().to_string_lossy().ends_with("_tests.yml") {
            continue;
        }
        let text = std::fs::read_to_string(f.path()).unwrap();
        let cases: Vec<Case> =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.path().display()));
        out.extend(cases.into_iter().map(|c| (f.path().to_path_buf(), c)));
    }
    out
}

/// Cases where warroom judges differently on purpose, and why.
const DELIBERATE: &[(&str, &str)] = &[
    // The registry's rule only looks at ingress whose ports are exactly 22; a range from 0
    // to 65535 open to the world opens SSH too, and warroom says so.
    (
        "Security Group with no SSH ingress, SKIP",
        "a 0-65535 range includes port 22",
    ),
    (
        "Security Group with SSH port 22 restricted to a CIDR other than 0.0.0.0/0, PASS",
        "a 0-65535 range includes port 22",
    ),
];

#[test]
fn the_guard_registry_cases_judge_alike() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (file, case) in cases() {
        let text = serde_norway::to_string(&case.input).unwrap();
        let template = template::parse(Path::new("case.yaml"), &text).unwrap();
        for (name, want) in &case.expectations.rules {
            let Some(rule) = rules::find(name) else {
                continue;
            };
            let got = match &template {
                None => Outcome::Skip,
                Some(t) => judge(rule, t).0,
            };
            let want = match want.trim() {
                "PASS" => Outcome::Pass,
                "FAIL" => Outcome::Fail,
                _ => Outcome::Skip,
            };
            checked += 1;
            if got != want && !DELIBERATE.iter().any(|(n, _)| *n == case.name) {
                wrong.push(format!(
                    "{} — {} [{}]: want {want:?}, got {got:?}",
                    file.file_name().unwrap().to_string_lossy(),
                    case.name,
                    rule.id
                ));
            }
        }
    }
    assert!(checked > 150, "{checked} cases checked");
    // A deliberate difference that is no longer one is a stale entry.
    for (name, why) in DELIBERATE {
        assert!(
            cases().iter().any(|(_, c)| c.name == *name),
            "no case {name:?} ({why})"
        );
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} cases differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
