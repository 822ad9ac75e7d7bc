//! Which top-level module may use which: every module sits on a layer and may name only
//! modules on lower layers, so dependencies point one way — the domain never reaches up into
//! the presentation, and a lower module never needs a higher one to be understood or tested.
//! `config` is read by the wiring and the presentation only: the domain takes plain values.
//!
//! A test reads the sources and fails on an import that breaks the rule, naming the file and
//! line. (A workspace of crates would have the compiler refuse such an import too, at the
//! cost of a crate boundary at every line of this table; one crate and this test keep moves
//! between layers cheap while the layers settle.)

/// Lowest first. A module may use modules of strictly lower layers (and itself).
pub const LAYERS: &[&[&str]] = &[
    &["model", "clock", "paths", "logging", "layers"],
    &["config", "journal", "state", "replay", "iac"],
    &["vocabulary", "detect"],
    &["respond"],
    &["source"],
    &["archive", "export"],
    &["query"],
    &["athena"],
    &["tui", "chat"],
    &["cli"],
    &["subcommands"],
];

/// Modules that only the wiring and the presentation may read.
pub const PRESENTATION_ONLY: &[&str] = &["config"];

/// The layer of top-level module `name`.
pub fn layer_of(name: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&name))
}

/// Whether module `from` may name module `to`.
pub fn may_use(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) else {
        return false;
    };
    let presentation = layer_of("tui").unwrap_or(usize::MAX);
    b < a && (!PRESENTATION_ONLY.contains(&to) || a >= presentation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// The top-level module a source file belongs to: `src/tui/app.rs` → `tui`.
    fn module_of(src: &Path, file: &Path) -> String {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_string()
    }

    /// The modules a file's code names as `crate::NAME`, with their line numbers. Comments
    /// and the file's test module are left out: tests may build with anything.
    fn uses(text: &str) -> Vec<(usize, String)> {
        let code = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        let mut out = Vec::new();
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap_or_default();
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                    group
                        .split(',')
                        .map(|p| p.trim().split("::").next().unwrap_or_default())
                        .collect()
                } else {
                    vec![rest.split("::").next().unwrap_or_default()]
                };
                for name in names {
                    let name: String = name
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push((n + 1, name));
                    }
                }
            }
        }
        out
    }

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if name != "snapshots" {
                    sources(&path, out);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" && !name.ends_with("_tests.rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_module_has_a_layer() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        for f in &files {
            let m = module_of(&src, f);
            if m != "lib" && m != "main" {
                assert!(layer_of(&m).is_some(), "{m} ({}) has no layer", f.display());
            }
        }
    }

    #[test]
    fn imports_only_point_down() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let mut wrong = Vec::new();
        for f in &files {
            let from = module_of(&src, f);
            if from == "lib" || from == "main" {
                continue;
            }
            let text = std::fs::read_to_string(f).unwrap();
            for (line, to) in uses(&text) {
                if !may_use(&from, &to) {
                    wrong.push(format!(
                        "{}:{line}: {from} uses {to}",
                        f.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "imports against the layers (src/layers.rs):\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn the_rule_catches_what_it_should() {
        assert!(may_use("tui", "state"));
        assert!(!may_use("state", "tui"));
        assert!(
            !may_use("detect", "config"),
            "the domain takes plain values"
        );
        assert!(may_use("chat", "config"));
        assert!(
            !may_use("tui", "chat"),
            "one layer: neither needs the other"
        );
        assert_eq!(
            uses(
                "use crate::{model::X, state::Y};\n// crate::tui in a comment\nlet p = crate::query::run();"
            ),
            [
                (1, "model".to_string()),
                (1, "state".to_string()),
                (3, "query".to_string())
            ]
        );
    }
}
