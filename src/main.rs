use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use precursor_registry::cli::{self, Cli};

fn main() -> ExitCode {
    let filter = std::env::var("PRECURSOR_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // A closed stderr (the terminal went away) must not take the server down with it.
        .log_internal_errors(false)
        .init();
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
