use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
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
    // The configuration file fills the environment before the command line is read.
    let args: Vec<String> = std::env::args().collect();
    if let Err(message) = cli::config_file::prepare(&args, &Cli::command()) {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }
    let parsed = match Cli::try_parse() {
        Ok(parsed) => parsed,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let _ = e.print();
            if let Some(key) = cli::config_file::key_behind(&e.to_string()) {
                eprintln!("(the value comes from the configuration file's key `{key}`)");
            }
            return ExitCode::from(2);
        }
    };
    match cli::run(parsed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
