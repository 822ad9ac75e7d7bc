use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Two TLS back ends are linked (the AWS SDK brings its own): name the default for the
    // clients that take it from the process (Slack's WebSocket).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = warroom::cli::Cli::parse();
    match warroom::commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("warroom: {e:#}");
            ExitCode::FAILURE
        }
    }
}
