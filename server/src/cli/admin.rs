//! `askonce admin grant|revoke`, `askonce token create|list|revoke`,
//! `askonce users import|export`: the site owner's commands on the server itself.

use std::{io::Write, path::PathBuf};

use app::admin::{api_tokens, bulk};
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::cli::error::{CommandError, Doing};
use crate::config::Settings;

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
    pub fn account(&self) -> services::auth::roles::AccountRef {
        use services::auth::roles::AccountRef;
        match (&self.user_id, &self.email) {
            // Looked up as the operator typed it: an id no account has is refused as such.
            (Some(id), _) => AccountRef::UserId(domain::user_id::UserId::from_stored(id.clone())),
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
        /// update:users_app_metadata, delete:users, read:stages, update:stages, read:hooks,
        /// update:hooks, read:clients, create:clients, update:clients, delete:clients).
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

/// The database, migrated: every command that reads or writes it starts here.
pub async fn open(settings: &Settings) -> Result<DatabaseConnection, CommandError> {
    let db = services::db::connect(&settings.db_config()).await.doing("opening the database")?;
    services::db::migrate(&db).await.doing("migrating the database")?;
    Ok(db)
}

pub async fn admin(settings: &Settings, action: &AdminCommand) -> Result<(), CommandError> {
    use services::auth::roles::{ssr as roles, AccountRef};
    let db = open(settings).await?;
    let result = match action {
        AdminCommand::Grant(target) => roles::grant(&db, &target.account(), services::audit::Actor::Cli).await.map(|id| {
            println!("account {id} is now an admin");
        }),
        AdminCommand::Revoke(target) => roles::revoke(&db, &target.account(), services::audit::Actor::Cli).await.map(|changed| {
            println!("{changed} account(s) no longer an admin");
            if let AccountRef::Email(email) = target.account() {
                if settings.admins.iter().any(|a| a.normalized() == domain::profile::verification::normalize_address(&email)) {
                    eprintln!("warning: {email} is still listed in `admins` in the configuration; remove it there too");
                }
            }
        }),
    };
    db.close().await.ok();
    result.map_err(|err| match err {
        // Refusals say what to do; only a database failure is a failure.
        services::auth::roles::GrantError::Db(e) => CommandError::Failed { doing: "changing admin rights".into(), cause: Box::new(e) },
        refused => CommandError::Refused(refused.to_string()),
    })
}

pub async fn token(settings: &Settings, action: &TokenCommand) -> Result<(), CommandError> {
    let db = open(settings).await?;
    let result = match action {
        TokenCommand::Create { name, scopes, expires_in_days } => {
            let scopes = scopes
                .iter()
                .flat_map(|s| s.split([',', ' ']))
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<api_tokens::Scope>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CommandError::Refused(e.to_string()))?;
            let expires = expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(i64::from(d)));
            let (info, secret) =
                api_tokens::ssr::create(&db, name, &scopes, services::audit::Actor::Cli, expires).await.doing("creating the token")?;
            eprintln!(
                "token {} created with scopes {}; it is shown only now:",
                info.id,
                info.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
            );
            println!("{secret}");
            Ok(())
        }
        TokenCommand::List => {
            for t in api_tokens::ssr::list(&db).await.doing("listing tokens")? {
                println!(
                    "{}\t{}\t{}…\t{}\t{}",
                    t.id,
                    t.name,
                    t.prefix,
                    t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
                    t.state.as_str()
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            // An id that cannot be one is no token, as an unknown one is.
            let found = match domain::token_id::TokenId::parse(id) {
                Some(token) => api_tokens::ssr::revoke(&db, &token, services::audit::Actor::Cli).await.doing("revoking the token")?,
                None => false,
            };
            if found {
                println!("token {id} revoked");
                Ok(())
            } else {
                Err(CommandError::Refused(format!("no live token has the id {id}")))
            }
        }
    };
    db.close().await.ok();
    result
}

pub async fn users(settings: &Settings, action: &UsersCommand) -> Result<(), CommandError> {
    let db = open(settings).await?;
    let result = match action {
        UsersCommand::Import { file } => {
            let text = std::fs::read_to_string(file).doing(format!("cannot read {}", file.display()))?;
            let users = bulk::format::parse(&text).doing("reading the users file")?;
            let report = bulk::import(&db, &users).await.doing("importing users")?;
            for (i, why) in &report.skipped {
                eprintln!("skipped user {i}: {why}");
            }
            println!("imported {} user(s), skipped {}", report.imported, report.skipped.len());
            Ok(())
        }
        UsersCommand::Export { with_password_hashes } => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut first = true;
            out.write_all(b"[").doing("writing the export")?;
            let count = bulk::export(&db, *with_password_hashes, |user| {
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                out.write_all(b"\n")?;
                serde_json::to_writer(&mut out, &user).map_err(std::io::Error::other)
            })
            .await
            .doing("exporting users")?;
            out.write_all(b"\n]\n").and_then(|()| out.flush()).doing("writing the export")?;
            eprintln!("exported {count} user(s)");
            Ok(())
        }
    };
    db.close().await.ok();
    result
}
