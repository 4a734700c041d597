//! The configuration file (issue 16): `--config FILE`, else `PRECURSOR_CONFIG`, else
//! `./precursor-registry.toml` when there is one. A key is a setting's environment variable
//! without `PRECURSOR_`, in lower case (`max_connections` is `PRECURSOR_MAX_CONNECTIONS`). The
//! file fills in the environment where it is unset, before the command line is read, so that
//! clap applies one order to every setting: flags, then the environment, then the file, then the
//! defaults. Secrets stay the environment's alone; a key the registry does not know, a secret or
//! a value that is not a string, number or boolean stops it with the key named.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub const DEFAULT_FILE: &str = "precursor-registry.toml";
const PREFIX: &str = "PRECURSOR_";
/// Read from the environment only, so that they never sit in a file beside the binary.
pub const SECRETS: [&str; 4] = [
    "jwt_secret",
    "admin_password",
    "transparency_key",
    "metrics_token",
];
/// Settings read from the environment outside clap.
const OTHER_KEYS: [&str; 3] = ["transparency_origin", "checkpoint_interval_seconds", "log"];

/// Where each setting came from, for `config show`.
#[derive(Debug, Default, Clone)]
pub struct Origins {
    pub file: Option<PathBuf>,
    pub from_file: BTreeSet<String>,
}

static ORIGINS: OnceLock<Origins> = OnceLock::new();

/// What `prepare` did, for `config show`.
pub fn origins() -> Origins {
    ORIGINS.get().cloned().unwrap_or_default()
}

/// Every key a file may hold: each option's environment variable (of `command`, the whole
/// command line's definition), and the few read elsewhere.
pub fn known_keys(command: &clap::Command) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = OTHER_KEYS.iter().map(|k| k.to_string()).collect();
    let mut commands = vec![command];
    while let Some(c) = commands.pop() {
        for arg in c.get_arguments() {
            if let Some(name) = arg.get_env().and_then(|e| e.to_str()) {
                if let Some(key) = name.strip_prefix(PREFIX) {
                    keys.insert(key.to_ascii_lowercase());
                }
            }
        }
        commands.extend(c.get_subcommands());
    }
    keys.remove("config");
    keys
}

/// The file named by `--config` in `args`, else by `PRECURSOR_CONFIG`, else the default file
/// when it exists.
fn chosen(args: &[String]) -> Option<PathBuf> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    if let Some(path) = std::env::var_os("PRECURSOR_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let default = PathBuf::from(DEFAULT_FILE);
    default.is_file().then_some(default)
}

/// The file's settings as (key, text), every key checked.
pub fn read(path: &Path, command: &clap::Command) -> Result<Vec<(String, String)>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let table: toml::Table = text.parse().map_err(|e| format!("{shown}: {e}"))?;
    let known = known_keys(command);
    let mut pairs = Vec::with_capacity(table.len());
    for (key, value) in table {
        if SECRETS.contains(&key.as_str()) {
            let var = format!("{PREFIX}{}", key.to_ascii_uppercase());
            return Err(format!(
                "{shown}: `{key}` is a secret: set it in the environment ({var}), not in a file"
            ));
        }
        if !known.contains(&key) {
            return Err(format!(
                "{shown}: unknown key `{key}` (`precursor-registry config show` lists the keys)"
            ));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                return Err(format!(
                    "{shown}: `{key}` must be a string, a number or true/false"
                ))
            }
        };
        pairs.push((key, text));
    }
    Ok(pairs)
}

/// Reads the configuration file (if any) into the environment where it is unset. Call first,
/// before any thread starts.
pub fn prepare(args: &[String], command: &clap::Command) -> Result<(), String> {
    let mut origins = Origins::default();
    if let Some(path) = chosen(args) {
        for (key, value) in read(&path, command)? {
            let var = format!("{PREFIX}{}", key.to_ascii_uppercase());
            if std::env::var_os(&var).is_none() {
                std::env::set_var(&var, value);
                origins.from_file.insert(key);
            }
        }
        origins.file = Some(path);
    }
    let _ = ORIGINS.set(origins);
    Ok(())
}

/// The key a refused command-line value came from, when the file supplied it: clap names the
/// flag (`--max-connections`), the operator wrote the key (`max_connections`).
pub fn key_behind(message: &str) -> Option<String> {
    let origins = origins();
    origins
        .from_file
        .iter()
        .find(|key| message.contains(&format!("--{}", key.replace('_', "-"))))
        .cloned()
}
