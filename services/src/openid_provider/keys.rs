//! The keys that sign ID tokens and access tokens, and the key that encrypts them at rest.
//!
//! - The key-encryption key (KEK, 32 bytes) comes from the settings or from a file in the data
//!   directory, made at first start with mode 0600. Losing it loses the signing keys (new ones
//!   are made; applications re-read the JWKS), so the backup docs name it.
//! - Signing keys (RSA 2048, RS256) live in `signing_keys`, private parts sealed with
//!   AES-256-GCM under the KEK. The newest key that is not retired signs; every key not yet
//!   expired is published at the JWKS address, so a token signed before a rotation verifies
//!   until it expires.
//! - The first key is made when first needed. Two instances starting together may both make
//!   one: each then keeps the same one (the lowest `kid`) and retires its own loser at once,
//!   so a single key ever signs.

use std::{
    collections::HashMap,
    path::Path,
    sync::Arc,
    time::{Duration as StdDuration, Instant},
};

use aes_gcm::{
    aead::{Aead, AeadCore, KeyInit, OsRng},
    Aes256Gcm, Key, Nonce,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, Duration, Utc};
use openidconnect::{
    core::{CoreJsonWebKeySet, CoreRsaPrivateSigningKey},
    JsonWebKeyId, PrivateSigningKey,
};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use tokio::sync::RwLock;

use crate::entities::signing_keys;

/// How long a retired key stays published: longer than any token it signed lives.
pub const PUBLISHED_AFTER_RETIREMENT: Duration = Duration::days(2);
/// How often an instance re-reads the keys (a rotation made elsewhere is seen by then).
const RELOAD_EVERY: StdDuration = StdDuration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key-encryption key {0}")]
    Kek(String),
    #[error("a signing key could not be opened (was the key-encryption key changed?)")]
    Sealed,
    #[error(
        "the key-encryption key does not open the stored signing keys: restore the key file (or the \
         key_encryption_key setting) from the backup made with the database"
    )]
    WrongKek,
    #[error("making a signing key failed: {0}")]
    Generate(String),
    #[error("no signing key has the id {0} (askonce keys list shows them)")]
    UnknownKid(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<KeyError> for crate::error::ServiceError {
    fn from(err: KeyError) -> Self {
        crate::error::internal("signing keys", err)
    }
}

/// The key that seals signing keys at rest.
#[derive(Clone)]
pub struct KeyEncryptionKey(Arc<Key<Aes256Gcm>>);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey([redacted])")
    }
}

impl KeyEncryptionKey {
    /// From 32 bytes in base64 (the setting).
    pub fn from_base64(text: &str) -> Result<KeyEncryptionKey, KeyError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| KeyError::Kek("is not base64".into()))?;
        if bytes.len() != 32 {
            return Err(KeyError::Kek(format!("must be 32 bytes, not {}", bytes.len())));
        }
        Ok(KeyEncryptionKey(Arc::new(*Key::<Aes256Gcm>::from_slice(&bytes))))
    }

    /// Reads the key in `path`, or makes one there (readable by this user only) when there is
    /// no file yet.
    pub fn load_or_create(path: &Path) -> Result<KeyEncryptionKey, KeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                warn_if_readable_by_others(path);
                KeyEncryptionKey::from_base64(&text)
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| KeyError::Kek(format!("folder {}: {e}", dir.display())))?;
                }
                let key = Aes256Gcm::generate_key(OsRng);
                let text = STANDARD.encode(key);
                write_private(path, &text).map_err(|e| KeyError::Kek(format!("file {}: {e}", path.display())))?;
                tracing::warn!(path = %path.display(), "made a new key-encryption key: back it up with the database");
                // Another instance may have written first: whatever is in the file now is the key.
                KeyEncryptionKey::from_base64(&std::fs::read_to_string(path).map_err(|e| KeyError::Kek(e.to_string()))?)
            }
            Err(err) => Err(KeyError::Kek(format!("file {}: {err}", path.display()))),
        }
    }

    fn seal(&self, plain: &[u8]) -> Result<String, KeyError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = Aes256Gcm::new(&self.0).encrypt(&nonce, plain).map_err(|_| KeyError::Sealed)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    fn open(&self, sealed: &str) -> Result<Vec<u8>, KeyError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| KeyError::Sealed)?;
        if bytes.len() < 12 {
            return Err(KeyError::Sealed);
        }
        let (nonce, body) = bytes.split_at(12);
        Aes256Gcm::new(&self.0).decrypt(Nonce::from_slice(nonce), body).map_err(|_| KeyError::Sealed)
    }
}

/// An existing key file that others may read is said loudly (it is not changed: the operator
/// may have reasons, such as a group the service shares).
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the key-encryption key file is readable by other users: chmod 600 it");
            }
        }
    }
}

/// Creates `path` with mode 0600 (never overwriting a file another process just made).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => file.write_all(text.as_bytes()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

/// The key that signs now.
pub struct SigningKey {
    pub kid: String,
    /// For ID tokens (openidconnect computes `at_hash` with it).
    pub oidc: CoreRsaPrivateSigningKey,
    /// For access tokens (RFC 9068 JWTs).
    pub jwt: jsonwebtoken::EncodingKey,
}

/// The keys as read from the database at one moment.
pub struct KeyRing {
    pub signing: SigningKey,
    /// Every published key: the JWKS.
    pub published: CoreJsonWebKeySet,
    /// Published keys by `kid`, to verify access tokens.
    pub verifying: HashMap<String, jsonwebtoken::DecodingKey>,
}

/// The key ring as read at an instant.
type Cached = Option<(Instant, Arc<KeyRing>)>;

/// The keys, read from the database and kept for a minute.
#[derive(Clone)]
pub struct Keys {
    db: DatabaseConnection,
    kek: KeyEncryptionKey,
    cached: Arc<RwLock<Cached>>,
}

impl Keys {
    pub fn new(db: DatabaseConnection, kek: KeyEncryptionKey) -> Keys {
        Keys { db, kek, cached: Arc::new(RwLock::new(None)) }
    }

    /// The current keys, making the first signing key if there is none.
    pub async fn current(&self) -> Result<Arc<KeyRing>, KeyError> {
        if let Some((at, ring)) = self.cached.read().await.as_ref() {
            if at.elapsed() < RELOAD_EVERY {
                return Ok(ring.clone());
            }
        }
        let mut slot = self.cached.write().await;
        if let Some((at, ring)) = slot.as_ref() {
            if at.elapsed() < RELOAD_EVERY {
                return Ok(ring.clone());
            }
        }
        let ring = Arc::new(load(&self.db, &self.kek, Utc::now()).await?);
        *slot = Some((Instant::now(), ring.clone()));
        Ok(ring)
    }

    /// Checks at start-up that the key-encryption key opens the stored signing keys: a key
    /// file lost (and made anew) or a wrong key in the settings is said at once, instead of
    /// every token request failing.
    pub async fn check_kek(&self) -> Result<(), KeyError> {
        let Some(any) = signing_keys::Entity::find().order_by_desc(signing_keys::Column::CreatedAt).one(&self.db).await? else {
            return Ok(());
        };
        self.kek.open(&any.private_key).map(|_| ()).map_err(|_| KeyError::WrongKek)
    }

    /// Forgets the cached keys (after a rotation on this instance).
    pub async fn reload(&self) {
        *self.cached.write().await = None;
    }

    /// Makes a new signing key and retires the current one (still published until
    /// [`PUBLISHED_AFTER_RETIREMENT`] has passed). Returns the new key's id.
    pub async fn rotate(&self) -> Result<String, KeyError> {
        let now = Utc::now();
        let previous = active(&self.db).await?;
        let kid = create(&self.db, &self.kek, now).await?;
        for old in previous {
            signing_keys::ActiveModel {
                kid: Set(old.kid),
                retired_at: Set(Some(now)),
                expires_at: Set(Some(now + PUBLISHED_AFTER_RETIREMENT)),
                ..Default::default()
            }
            .update(&self.db)
            .await?;
        }
        self.reload().await;
        Ok(kid)
    }
}

impl Keys {
    /// Unpublishes the key `kid` at once (it leaked): every token it signed stops verifying
    /// here and, once they refetch the key set, at the applications. When it is the key that
    /// signs, a new one is made first. Returns the new signing key's id in that case.
    pub async fn revoke(&self, kid: &str) -> Result<Option<String>, KeyError> {
        let now = Utc::now();
        let Some(key) = signing_keys::Entity::find_by_id(kid).one(&self.db).await? else {
            return Err(KeyError::UnknownKid(kid.to_string()));
        };
        let replaced = if key.retired_at.is_none() { Some(self.rotate().await?) } else { None };
        signing_keys::ActiveModel {
            kid: Set(kid.to_string()),
            retired_at: Set(Some(key.retired_at.unwrap_or(now))),
            expires_at: Set(Some(now)),
            ..Default::default()
        }
        .update(&self.db)
        .await?;
        self.reload().await;
        Ok(replaced)
    }
}

/// A signing key as the command line lists it.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub created_at: DateTime<Utc>,
    /// Signs nothing since (a newer key does).
    pub retired_at: Option<DateTime<Utc>>,
    /// Unpublished from then on.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Keys {
    /// Every stored key, newest first.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let rows = signing_keys::Entity::find().order_by_desc(signing_keys::Column::CreatedAt).all(&self.db).await?;
        Ok(rows
            .into_iter()
            .map(|r| KeyInfo { kid: r.kid, alg: r.alg, created_at: r.created_at, retired_at: r.retired_at, expires_at: r.expires_at })
            .collect())
    }

    /// Rotates when the key that signs is older than `max_age` (the schedule). Returns the
    /// new key's id when it did.
    pub async fn rotate_if_older_than(&self, max_age: Duration) -> Result<Option<String>, KeyError> {
        let now = Utc::now();
        let current = active(&self.db).await?;
        match current.first() {
            Some(key) if now - key.created_at < max_age => Ok(None),
            // No key yet: the first is made when first needed, not on a schedule.
            None => Ok(None),
            Some(_) => self.rotate().await.map(Some),
        }
    }
}

/// Keys not retired, lowest `kid` first: every instance signs with the same one even in the
/// moment two of them made a first key each.
async fn active(db: &DatabaseConnection) -> Result<Vec<signing_keys::Model>, DbErr> {
    signing_keys::Entity::find().filter(signing_keys::Column::RetiredAt.is_null()).order_by_asc(signing_keys::Column::Kid).all(db).await
}

/// Makes and stores a new RSA key; returns its `kid`.
async fn create(db: &DatabaseConnection, kek: &KeyEncryptionKey, now: DateTime<Utc>) -> Result<String, KeyError> {
    // Key generation is CPU work of a few hundred milliseconds: off the async workers.
    let pem = tokio::task::spawn_blocking(|| {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| KeyError::Generate(e.to_string()))?;
        key.to_pkcs1_pem(LineEnding::LF).map(|p| p.to_string()).map_err(|e| KeyError::Generate(e.to_string()))
    })
    .await
    .map_err(|e| KeyError::Generate(e.to_string()))??;
    let kid = format!("{}-{}", now.format("%Y%m%d"), &super::secret::random()[..12]);
    let oidc = CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(kid.clone()))).map_err(KeyError::Generate)?;
    let public = serde_json::to_value(oidc.as_verification_key()).map_err(|e| KeyError::Generate(e.to_string()))?;
    signing_keys::ActiveModel {
        kid: Set(kid.clone()),
        alg: Set("RS256".to_string()),
        public_jwk: Set(public),
        private_key: Set(kek.seal(pem.as_bytes())?),
        created_at: Set(now),
        retired_at: Set(None),
        expires_at: Set(None),
    }
    .insert(db)
    .await?;
    tracing::info!(%kid, "made a signing key");
    Ok(kid)
}

/// Reads the keys; makes the first one when there is none.
async fn load(db: &DatabaseConnection, kek: &KeyEncryptionKey, now: DateTime<Utc>) -> Result<KeyRing, KeyError> {
    let mut signing = active(db).await?;
    if signing.is_empty() {
        let mine = create(db, kek, now).await?;
        signing = active(db).await?;
        // Two first starts at once: keep the same key everywhere (the lowest kid among those
        // made together) and retire ours if it lost, before it signed anything.
        if signing.len() > 1 {
            let winner = signing.iter().map(|k| k.kid.clone()).min().unwrap_or_default();
            if winner != mine {
                signing_keys::ActiveModel { kid: Set(mine), retired_at: Set(Some(now)), expires_at: Set(Some(now)), ..Default::default() }
                    .update(db)
                    .await?;
            }
            signing.retain(|k| k.kid == winner);
        }
    }
    let Some(current) = signing.first() else {
        return Err(KeyError::Generate("no signing key after making one".into()));
    };
    let pem = String::from_utf8(kek.open(&current.private_key)?).map_err(|_| KeyError::Sealed)?;
    let oidc = CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(current.kid.clone()))).map_err(|_| KeyError::Sealed)?;
    let jwt = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| KeyError::Sealed)?;
    let published_rows = signing_keys::Entity::find()
        .filter(signing_keys::Column::ExpiresAt.is_null().or(signing_keys::Column::ExpiresAt.gt(now)))
        .order_by_desc(signing_keys::Column::CreatedAt)
        .all(db)
        .await?;
    let mut published = Vec::new();
    let mut verifying = HashMap::new();
    for row in published_rows {
        // The public key is derived from the sealed private one, never read from a column
        // on its own: a row written into the database by someone without the KEK cannot
        // publish a key of theirs.
        let Some(jwk) = kek
            .open(&row.private_key)
            .ok()
            .and_then(|pem| String::from_utf8(pem).ok())
            .and_then(|pem| CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(row.kid.clone()))).ok())
            .map(|key| key.as_verification_key())
        else {
            tracing::error!(kid = %row.kid, "a stored signing key could not be opened; it is not published");
            continue;
        };
        let decoding = serde_json::to_value(&jwk)
            .ok()
            .and_then(|json| serde_json::from_value::<jsonwebtoken::jwk::Jwk>(json).ok())
            .and_then(|j| jsonwebtoken::DecodingKey::from_jwk(&j).ok());
        if let Some(decoding) = decoding {
            verifying.insert(row.kid.clone(), decoding);
        }
        published.push(jwk);
    }
    Ok(KeyRing { signing: SigningKey { kid: current.kid.clone(), oidc, jwt }, published: CoreJsonWebKeySet::new(published), verifying })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_kek() {
        let kek = KeyEncryptionKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let other = KeyEncryptionKey::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        let sealed = kek.seal(b"private").unwrap();
        assert_eq!(kek.open(&sealed).unwrap(), b"private");
        assert!(other.open(&sealed).is_err());
        assert_ne!(kek.seal(b"private").unwrap(), sealed, "a fresh nonce each time");
    }

    #[test]
    fn a_kek_is_32_bytes_of_base64() {
        assert!(KeyEncryptionKey::from_base64("not base64!").is_err());
        assert!(KeyEncryptionKey::from_base64(&STANDARD.encode([1u8; 16])).is_err());
    }

    #[test]
    fn a_new_kek_file_is_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("askonce-kek-{}", super::super::secret::random()));
        let path = dir.join("askonce.kek");
        let first = KeyEncryptionKey::load_or_create(&path).unwrap();
        let again = KeyEncryptionKey::load_or_create(&path).unwrap();
        assert_eq!(first.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
