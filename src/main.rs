use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = warroom::cli::Cli::parse();
    match warroom::commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("warroom: {e:#}");
            ExitCode::FAILURE
        }
    }
}
