//! The `askonce` command line: `serve` (default), `migrate`, `check-config`.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::{
    config::{ConfigError, Settings},
    startup::Application,
    telemetry,
};

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
    /// Apply migrations and serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the configuration, print it with secrets redacted, and exit.
    CheckConfig,
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
}

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    /// Make one account admin: the only account whose verified email is EMAIL, or the account
    /// with `--user ID` (when the email is unverified or shared, the refusal lists the ids).
    Grant(AdminTarget),
    /// Take admin rights away from every account with EMAIL, or from `--user ID`.
    Revoke(AdminTarget),
}

#[derive(Debug, clap::Args, Clone, PartialEq, Eq)]
#[group(required = true, multiple = false)]
pub struct AdminTarget {
    /// The account's email address.
    pub email: Option<String>,
    /// The account's user id (as listed by a refused grant, the console or the API).
    #[arg(long = "user")]
    pub user_id: Option<String>,
}

impl AdminTarget {
    pub fn account(&self) -> app::auth::roles::AccountRef {
        use app::auth::roles::AccountRef;
        match (&self.user_id, &self.email) {
            (Some(id), _) => AccountRef::UserId(id.clone()),
            (None, Some(email)) => AccountRef::Email(email.clone()),
            // clap's group makes one of them required.
            (None, None) => AccountRef::Email(String::new()),
        }
    }
}

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum TokenCommand {
    /// Create a token and print it (shown once; stored hashed).
    Create {
        /// A name to recognise it by.
        #[arg(long)]
        name: String,
        /// A scope to grant; repeat for several (read:users, update:users,
        /// update:users_app_metadata, delete:users, read:stages, update:stages).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until it expires (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum UsersCommand {
    /// Import users from FILE. A file with any problem imports nothing.
    Import { file: PathBuf },
    /// Print every user to standard output.
    Export {
        /// Include argon2 password hashes (`custom_password_hash`), so people keep their
        /// passwords on the other side. Treat the output as a secret.
        #[arg(long)]
        with_password_hashes: bool,
    },
}

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum ProfilingCommand {
    /// Print the whole configuration (JSON or TOML) to standard output.
    Export {
        #[arg(long, default_value = "json", value_parser = ["json", "toml"])]
        format: String,
    },
    /// Replace the whole configuration with FILE (.json or .toml), after checking it. A
    /// file with any problem changes nothing; every problem is listed.
    Import { file: PathBuf },
}

/// Exit codes: 0 success, 1 runtime failure, 2 bad configuration.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let (settings, file) = match Settings::load(cli.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(err) => return config_failure(&err),
    };
    let command = cli.command.clone().unwrap_or(Command::Serve);
    if command == Command::CheckConfig {
        let source = file.map_or("built-in defaults".to_string(), |f| f.display().to_string());
        println!("configuration OK ({source} + ASKONCE_* environment)\n{settings:#?}");
        return ExitCode::SUCCESS;
    }

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
            Command::Serve => serve(&settings).await,
            Command::Migrate => migrate(&settings).await,
            Command::CheckConfig => Ok(()),
            Command::Profiling(action) => crate::profiling_cli::run(&settings, action).await,
            Command::Admin(action) => crate::admin_cli::admin(&settings, action).await,
            Command::Token(action) => crate::admin_cli::token(&settings, action).await,
            Command::Users(action) => crate::admin_cli::users(&settings, action).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn config_failure(err: &ConfigError) -> ExitCode {
    eprintln!("error: {err}");
    eprintln!("hint: see askonce.example.toml for every key, its meaning and its default");
    ExitCode::from(2)
}

async fn serve(settings: &Settings) -> Result<(), String> {
    let app = Application::build(settings).await.map_err(|e| e.to_string())?;
    if let Some(addr) = app.local_addr() {
        tracing::info!(%addr, public_url = %settings.server.public_url, "AskOnce listening");
    }
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

async fn migrate(settings: &Settings) -> Result<(), String> {
    let db = app::db::connect(&settings.db_config()).await.map_err(|e| e.to_string())?;
    let applied = app::db::migrate(&db).await.map_err(|e| e.to_string())?;
    db.close().await.ok();
    println!("{applied} migration(s) applied; the schema is up to date");
    Ok(())
}
