//! `config show`: every setting the registry would run with, where it came from (the
//! environment, the configuration file or the default), secrets masked.

use clap::Subcommand;

use crate::cli::config_file::{self, SECRETS};

#[derive(Subcommand)]
pub(in crate::cli) enum ConfigCommand {
    /// Print the effective settings (a flag given to `serve` still wins over what is shown).
    Show,
}

/// `cli` is the whole command line's definition, whose options are the settings.
pub(in crate::cli) fn run(command: ConfigCommand, cli: &clap::Command) -> Result<(), String> {
    match command {
        ConfigCommand::Show => show(cli),
    }
}

/// Each option's default, by key.
fn defaults(cli: &clap::Command) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut commands = vec![cli];
    while let Some(c) = commands.pop() {
        for arg in c.get_arguments() {
            let Some(key) = arg
                .get_env()
                .and_then(|e| e.to_str())
                .and_then(|e| e.strip_prefix("PRECURSOR_"))
            else {
                continue;
            };
            let values: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            if !values.is_empty() {
                out.insert(key.to_ascii_lowercase(), values.join(","));
            }
        }
        commands.extend(c.get_subcommands());
    }
    out
}

/// A database URL's password, if any, replaced by `****`.
fn masked(key: &str, value: &str) -> String {
    if key != "database_url" {
        return value.to_string();
    }
    match (value.find("://"), value.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &value[scheme + 3..at];
            match user.split_once(':') {
                Some((name, _)) => format!("{}{name}:****{}", &value[..scheme + 3], &value[at..]),
                None => value.to_string(),
            }
        }
        _ => value.to_string(),
    }
}

fn show(cli: &clap::Command) -> Result<(), String> {
    use std::fmt::Write as _;
    let origins = config_file::origins();
    let mut out = String::new();
    let _ = match &origins.file {
        Some(path) => writeln!(out, "configuration file: {}", path.display()),
        None => writeln!(
            out,
            "configuration file: none ({} not found)",
            config_file::DEFAULT_FILE
        ),
    };
    let mut defaults = defaults(cli);
    // Read outside clap, with their defaults in config::Settings.
    for (key, value) in [
        ("transparency_origin", "precursor-registry"),
        ("checkpoint_interval_seconds", "60"),
        ("log", "info"),
    ] {
        defaults.insert(key.to_string(), value.to_string());
    }
    for key in config_file::known_keys(cli) {
        let var = format!("PRECURSOR_{}", key.to_ascii_uppercase());
        let (value, source) = match std::env::var(&var) {
            Ok(v) if origins.from_file.contains(&key) => (masked(&key, &v), "file"),
            Ok(v) => (masked(&key, &v), "environment"),
            Err(_) => match defaults.get(&key) {
                Some(d) => (d.clone(), "default"),
                // A switch that is off, or a value the rule pack or the machine decides.
                None => ("(off / the pack's / per core)".to_string(), "default"),
            },
        };
        let _ = writeln!(out, "{key:<34} {value:<40} {source}");
    }
    for key in SECRETS {
        let var = format!("PRECURSOR_{}", key.to_ascii_uppercase());
        let state = if std::env::var_os(&var).is_some() {
            "(set)"
        } else {
            "(not set)"
        };
        let _ = writeln!(out, "{key:<34} {state:<40} environment only");
    }
    // A reader that went away (`| head`) ends the listing, not the program.
    use std::io::Write as _;
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(())
}
