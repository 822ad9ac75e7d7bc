//! Where warroom keeps things, following the XDG base directories.

use directories::ProjectDirs;
use std::path::PathBuf;

fn dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "warroom")
}

/// `~/.config/warroom/config.toml`
pub fn config_file() -> Option<PathBuf> {
    dirs().map(|d| d.config_dir().join("config.toml"))
}

/// `~/.config/warroom/rules`: Sigma rules that run without being named.
pub fn rules_dir() -> Option<PathBuf> {
    dirs().map(|d| d.config_dir().join("rules"))
}

/// `~/.local/share/warroom/incidents`: one journal per incident.
pub fn incidents_dir() -> PathBuf {
    dirs()
        .map(|d| d.data_dir().join("incidents"))
        .unwrap_or_else(|| PathBuf::from("warroom-incidents"))
}

/// `~/.local/share/warroom/ec2-prices.csv`: the EC2 rates `warroom prices import` read.
pub fn prices_file() -> PathBuf {
    dirs()
        .map(|d| d.data_dir().join("ec2-prices.csv"))
        .unwrap_or_else(|| PathBuf::from("warroom-ec2-prices.csv"))
}

/// `~/.local/state/warroom`: the log file.
pub fn log_dir() -> PathBuf {
    dirs()
        .map(|d| {
            d.state_dir()
                .map(|s| s.to_path_buf())
                .unwrap_or_else(|| d.data_local_dir().to_path_buf())
        })
        .unwrap_or_else(std::env::temp_dir)
}
