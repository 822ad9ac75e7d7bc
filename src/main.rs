use clap::Parser;
use std::process::ExitCode;

/// Archives are read on worker threads and kept by the screen's thread: glibc's per-thread
/// arenas then hold on to what was freed across threads (a million events came to 600–770 MB
/// from run to run); mimalloc returns it (about 550 MB, every run).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The clients that take rustls's crypto from the process (Slack's WebSocket) need it
    // named: ring, the one the AWS clients are built with too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = warroom::cli::Cli::parse();
    match warroom::subcommands::run(cli) {
        Ok(code) => code,
        // The reader went away (`| head`): what it wanted, it has.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("warroom: {e:#}");
            ExitCode::FAILURE
        }
    }
}
