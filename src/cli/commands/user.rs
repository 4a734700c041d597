//! `user add`: create an account, its password read from stdin or a terminal prompt.

use std::io::{BufRead, IsTerminal};

use clap::{Args, Subcommand};
use uuid::Uuid;

use crate::cli::args::{connect, Storage};
use crate::cli::report::describe;
use crate::domain::Role;
use crate::users::{self, NewUser};

#[derive(Subcommand)]
pub(in crate::cli) enum UserCommand {
    /// Create an account; the password is read from stdin (or prompted for on a terminal).
    Add(AddArgs),
}

#[derive(Args)]
pub(in crate::cli) struct AddArgs {
    #[arg(long)]
    username: String,
    /// admin, regulator, enterprise or association.
    #[arg(long)]
    role: String,
    /// The firm of an enterprise user.
    #[arg(long)]
    firm_id: Option<Uuid>,
    #[command(flatten)]
    storage: Storage,
}

pub(in crate::cli) fn run(command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Add(args) => add(args),
    }
}

fn add(args: AddArgs) -> Result<(), String> {
    let settings = args.storage.settings()?;
    let role = Role::parse(&args.role)
        .ok_or_else(|| format!("unknown role {:?}; use one of {}", args.role, Role::names()))?;
    let username = users::parse_username(&args.username).map_err(|e| e.message)?;
    let password = read_password()?;
    crate::auth::password::check_strength(&password).map_err(|m| format!("password {m}"))?;
    let mut conn = connect(&settings)?;
    let user = users::create_account(
        &mut conn,
        NewUser {
            username,
            password,
            role,
            firm_id: args.firm_id,
        },
    )
    .map_err(describe)?;
    println!("created {} ({}) id {}", user.username, user.role, user.id);
    Ok(())
}

fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ").map_err(|e| e.to_string())
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}
