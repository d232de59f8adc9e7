//! The `askonce` command line: `serve` (default), `migrate`, `check-config`, and the
//! commands of [`admin`], [`keys`] and [`profiling`],
//! which own their subcommands; this module only composes them.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::{Parser, Subcommand};

use crate::{
    config::{ConfigError, Settings},
    startup::Application,
    telemetry,
};
use admin::{AdminCommand, TokenCommand, UsersCommand};
use error::{CommandError, Doing};
use keys::KeysCommand;
use profiling::ProfilingCommand;

pub mod admin;
pub mod error;
pub mod keys;
pub mod profiling;

#[derive(Debug, Parser)]
#[command(name = "askonce", version, about = "Sign people in once; never ask them twice.")]
pub struct Cli {
    /// Configuration file (default: ./askonce.toml when it exists, else built-in defaults).
    #[arg(long, short, global = true, env = "ASKONCE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum Command {
    /// Validate the configuration, print it with secrets redacted, and exit.
    CheckConfig,
    #[command(flatten)]
    Run(RunCommand),
}

/// The commands that start the async runtime and open the database. `check-config` is not
/// one of them: loading the configuration is all it does.
#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum RunCommand {
    /// Apply migrations and serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// The progressive-profiling configuration (fields and stages) as one document.
    #[command(subcommand)]
    Profiling(ProfilingCommand),
    /// Who may use the console: grant or revoke by email.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Management API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Users in Auth0's bulk format (JSON array; NDJSON is read too).
    #[command(subcommand)]
    Users(UsersCommand),
    /// The OpenID Provider's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// Exit codes: 0 success, 1 runtime failure, 2 bad configuration.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let (settings, file) = match Settings::load(cli.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(err) => return config_failure(&err),
    };
    match cli.command.unwrap_or(Command::Run(RunCommand::Serve)) {
        Command::CheckConfig => check_config(&settings, file.as_deref()),
        Command::Run(command) => run_command(command, &settings),
    }
}

/// The configuration loaded and parsed above is the check: print it, secrets redacted.
fn check_config(settings: &Settings, file: Option<&Path>) -> ExitCode {
    let source = file.map_or("built-in defaults".to_string(), |f| f.display().to_string());
    println!("configuration OK ({source} + ASKONCE_* environment)\n{settings:#?}");
    ExitCode::SUCCESS
}

fn run_command(command: RunCommand, settings: &Settings) -> ExitCode {
    telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match &command {
            RunCommand::Serve => serve(settings).await,
            RunCommand::Migrate => migrate(settings).await,
            RunCommand::Profiling(action) => crate::cli::profiling::run(settings, action).await,
            RunCommand::Admin(action) => crate::cli::admin::admin(settings, action).await,
            RunCommand::Token(action) => crate::cli::admin::token(settings, action).await,
            RunCommand::Users(action) => crate::cli::admin::users(settings, action).await,
            RunCommand::Keys(action) => crate::cli::keys::keys(settings, action).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let report = err.report();
            tracing::error!(error = %report, "command failed");
            eprintln!("error: {report}");
            ExitCode::FAILURE
        }
    }
}

fn config_failure(err: &ConfigError) -> ExitCode {
    eprintln!("error: {err}");
    eprintln!("hint: see askonce.example.toml for every key, its meaning and its default");
    ExitCode::from(2)
}

async fn serve(settings: &Settings) -> Result<(), CommandError> {
    let app = Application::build(settings).await.doing("starting AskOnce")?;
    if let Some(addr) = app.local_addr() {
        tracing::info!(%addr, public_url = %settings.server.public_url, "AskOnce listening");
    }
    app.run_until_stopped().await.doing("serving")
}

async fn migrate(settings: &Settings) -> Result<(), CommandError> {
    let db = services::db::connect(&settings.db_config()).await.doing("opening the database")?;
    let applied = services::db::migrate(&db).await.doing("migrating the database")?;
    db.close().await.ok();
    println!("{applied} migration(s) applied; the schema is up to date");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_composed_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn each_subcommand_parses_into_its_module_s_enum() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).map(|cli| cli.command).unwrap();
        assert_eq!(parse(&["askonce"]), None, "serve by default");
        assert_eq!(parse(&["askonce", "check-config"]), Some(Command::CheckConfig));
        assert_eq!(parse(&["askonce", "migrate"]), Some(Command::Run(RunCommand::Migrate)));
        assert_eq!(parse(&["askonce", "token", "list"]), Some(Command::Run(RunCommand::Token(TokenCommand::List))));
        assert_eq!(parse(&["askonce", "keys", "rotate"]), Some(Command::Run(RunCommand::Keys(KeysCommand::Rotate))));
        assert!(matches!(
            parse(&["askonce", "profiling", "import", "q.toml"]),
            Some(Command::Run(RunCommand::Profiling(ProfilingCommand::Import { .. })))
        ));
    }
}
