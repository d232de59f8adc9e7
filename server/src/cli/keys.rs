//! `askonce keys`: the OpenID Provider's signing keys — list them, rotate now, revoke one.

use clap::Subcommand;
use services::openid_provider::keys::Keys;

use super::error::{CommandError, Doing};
use crate::config::Settings;

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum KeysCommand {
    /// Every signing key: which signs now, which are still published, and until when.
    List,
    /// Make a new signing key now; the current one stops signing and stays published until
    /// the tokens it signed have expired.
    Rotate,
    /// Unpublish a key at once (it leaked): the tokens it signed stop verifying. The key that
    /// signs is replaced first.
    Revoke {
        /// The key's id (`kid`), as `askonce keys list` shows it.
        kid: String,
    },
}

pub async fn keys(settings: &Settings, action: &KeysCommand) -> Result<(), CommandError> {
    let db = services::db::connect(&settings.db_config()).await.doing("opening the database")?;
    services::db::migrate(&db).await.doing("migrating the database")?;
    let kek = settings.openid_provider.key_encryption_key().doing("reading the key-encryption key")?;
    let keys = Keys::new(db.clone(), kek);
    let result = match action {
        KeysCommand::List => {
            for key in keys.list().await.doing("listing the signing keys")? {
                let state = match (key.retired_at, key.expires_at) {
                    (None, _) => "signing".to_string(),
                    (Some(_), Some(until)) if until > chrono::Utc::now() => format!("published until {}", until.to_rfc3339()),
                    (Some(_), _) => "expired".to_string(),
                };
                println!("{}\t{}\t{}\t{}", key.kid, key.alg, key.created_at.to_rfc3339(), state);
            }
            Ok(())
        }
        KeysCommand::Rotate => {
            let kid = keys.rotate().await.doing("rotating the signing key")?;
            println!("{kid}");
            eprintln!(
                "key {kid} signs from now on (running instances pick it up within a minute); the previous key stays published for two days"
            );
            Ok(())
        }
        KeysCommand::Revoke { kid } => {
            let replaced = keys.revoke(kid).await.doing("revoking the signing key")?;
            match replaced {
                Some(new) => eprintln!("key {kid} is unpublished; key {new} signs from now on"),
                None => eprintln!("key {kid} is unpublished"),
            }
            eprintln!("running instances drop it within a minute; applications when they next fetch the key set");
            Ok(())
        }
    };
    db.close().await.ok();
    result
}
