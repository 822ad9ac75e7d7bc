//! A Python virtualenv holding the packages in `requirements.txt` (moto's server, slack_sdk).
//!
//! It lives in the target directory, so the first `cargo test` on a machine builds it (and
//! needs PyPI for that) and every later run, in any test binary, finds it ready.

use super::tail;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const REQUIREMENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/support/requirements.txt"
);

/// How much of pip's output a failure shows: the error is at the end.
const TAIL_LINES: usize = 40;

/// The virtualenv's root (`bin/python`, `bin/moto_server`, …), installed on first use.
pub fn venv() -> &'static Path {
    // A failed install is remembered too: every test that needs it fails with the same
    // message at once, instead of each waiting for pip to fail again.
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let venv = VENV.get_or_init(|| {
        let wanted = requirements_hash();
        // Named after its requirements: worktrees sharing a target directory with different
        // requirements each keep their own instead of reinstalling over each other's.
        let name = format!("python-venv-{}", &wanted[..12]);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        ensure_installed(&dir, &wanted).map(|()| dir)
    });
    match venv {
        Ok(dir) => dir,
        Err(why) => panic!("setting up the tests' Python environment: {why}{HELP}"),
    }
}

fn ensure_installed(dir: &Path, wanted: &str) -> Result<(), String> {
    // Other test binaries, or another `cargo test` on the same target directory, may be
    // installing at this moment: wait for them rather than race them in the same folder.
    let _lock = lock(dir);
    if fs::read_to_string(marker(dir)).ok().as_deref() == Some(wanted) {
        return Ok(());
    }
    install(dir)?;
    // Written last: an install that died half-way leaves no marker and is redone.
    fs::write(marker(dir), wanted).map_err(|e| format!("write the marker file: {e}"))
}

/// Held until dropped; the lock file sits beside the virtualenv because a reinstall
/// deletes the virtualenv's folder.
fn lock(dir: &Path) -> File {
    fs::create_dir_all(dir.parent().expect("the virtualenv has a parent folder"))
        .expect("create the target's tmp folder");
    let file = File::create(dir.with_extension("lock")).expect("create the virtualenv's lock");
    file.lock().expect("lock the virtualenv");
    file
}

fn marker(dir: &Path) -> PathBuf {
    dir.join("requirements.sha256")
}

fn requirements_hash() -> String {
    let text = fs::read(REQUIREMENTS).expect("read tests/it/support/requirements.txt");
    hex::encode(Sha256::digest(text))
}

fn install(dir: &Path) -> Result<(), String> {
    // Whatever is there was left half-built; pip would try to reconcile it.
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("remove {}: {e}", dir.display()))?;
    }
    let mut venv = Command::new("python3");
    venv.arg("-m").arg("venv").arg(dir);
    run("python3 -m venv", venv)?;
    // Quiet: warnings and errors only, and those only show when something fails.
    let mut pip = Command::new(dir.join("bin/python"));
    pip.args(["-m", "pip", "install", "--quiet", "--no-input"])
        .args(["--disable-pip-version-check", "--require-virtualenv"])
        .args(["-r", REQUIREMENTS]);
    run("pip install -r requirements.txt", pip)
}

/// Runs a setup step with its output captured: on success the test output stays clean,
/// on failure the panic shows how it ended.
fn run(what: &str, mut cmd: Command) -> Result<(), String> {
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run `{what}`: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    Err(format!(
        "`{what}` failed ({}):\n{}",
        output.status,
        tail(&text, TAIL_LINES)
    ))
}

const HELP: &str = "\n\nThe integration tests run moto (a local stand-in for AWS) from a Python \
virtualenv under target/tmp that they build on first run: that needs `python3` with its venv \
module and network access to PyPI, once. Requirements: tests/it/support/requirements.txt.";
