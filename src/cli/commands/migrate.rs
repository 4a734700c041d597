//! `migrate`: apply pending migrations and exit.

use crate::cli::args::{connect, Storage};

pub(in crate::cli) fn run(storage: &Storage) -> Result<(), String> {
    connect(&storage.settings()?)?;
    // The binary's own target, as before the commands moved into the library.
    tracing::info!(target: "precursor_registry", "migrations applied");
    Ok(())
}
