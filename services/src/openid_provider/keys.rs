//! The keys that sign ID tokens and access tokens, and the key that encrypts them at rest.
//!
//! - The key-encryption key (KEK, 32 bytes) comes from the settings or from a file in the data
//!   directory, made at first start with mode 0600. Losing it loses the signing keys (new ones
//!   are made; applications re-read the JWKS), so the backup docs name it.
//! - Signing keys live in `signing_keys`, private parts sealed with AES-256-GCM under the KEK.
//!   An RSA 2048 key (RS256) signs access tokens, logout tokens and, by default, ID tokens; an
//!   Ed25519 key (EdDSA) signs the ID tokens of applications that ask for EdDSA
//!   (`id_token_signed_response_alg`). Of each algorithm, the key not retired signs; every key
//!   not yet expired is published at the JWKS address, so a token signed before a rotation
//!   verifies until it expires.
//! - The RSA key is made when the keys are first read; the Ed25519 key when an application
//!   first asks for EdDSA, so a site whose applications never do publishes one key only. Two
//!   instances making the same key together each keep the same one (the lowest `kid`) and
//!   retire their own loser at once, so a single key of each algorithm ever signs.
//! - A rotation retires every key that signs, of both algorithms, and makes a new RSA key; the
//!   Ed25519 one is made again when next needed.

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
    core::{CoreEdDsaPrivateSigningKey, CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey},
    JsonWebKeyId, PrivateSigningKey, SigningError,
};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use tokio::sync::RwLock;

use crate::entities::signing_keys;

/// How long a retired key stays published: longer than any token it signed lives.
pub const PUBLISHED_AFTER_RETIREMENT: Duration = Duration::days(2);
/// How often an instance re-reads the keys (a rotation made elsewhere is seen by then).
const RELOAD_EVERY: StdDuration = StdDuration::from_secs(60);

/// What a key signs with, by its JOSE name (the `alg` column, and an application's
/// `id_token_signed_response_alg`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SigningAlg {
    /// RSA 2048, PKCS#1 v1.5 with SHA-256: every access and logout token, and ID tokens unless
    /// the application asks otherwise.
    #[default]
    Rs256,
    /// Ed25519: the ID tokens of the applications that ask for it.
    EdDsa,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::Rs256, SigningAlg::EdDsa];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    /// The algorithm named exactly `name` (JOSE names are case-sensitive).
    pub fn parse(name: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|alg| alg.as_str() == name)
    }
}

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

/// The RSA key that signs now.
pub struct SigningKey {
    pub kid: String,
    /// For ID tokens (openidconnect computes `at_hash` with it), and through
    /// [`SigningKey::sign_jwt`] for access tokens (RFC 9068 JWTs) and logout tokens.
    pub oidc: RsaIdTokenSigner,
}

impl SigningKey {
    /// `claims` as a compact JWS (RS256) with this key's `kid` and the type `typ`.
    ///
    /// Not `jsonwebtoken::encode`: it parses the DER key again at every signature (ring's
    /// `RsaKeyPair::from_der` checks the key's arithmetic, as costly as the signature itself),
    /// and every code exchange and `client_credentials` request signs an access token. The
    /// serialization is the same (RFC 7515 §7.1: base64url of the header and the claims, and
    /// of the signature of both); the tests verify it with jsonwebtoken.
    pub fn sign_jwt<T: serde::Serialize>(&self, typ: &str, claims: &T) -> Result<String, SigningError> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_string());
        let header = serde_json::to_vec(&header).map_err(|e| SigningError::Other(e.to_string()))?;
        let claims = serde_json::to_vec(claims).map_err(|e| SigningError::Other(e.to_string()))?;
        let mut jws = URL_SAFE_NO_PAD.encode(header);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut jws);
        let signature = self.oidc.sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, jws.as_bytes())?;
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
        Ok(jws)
    }
}

/// The RSA key as openidconnect signs ID tokens with it: the signature is `ring`'s, with the
/// key parsed once per key-ring load. openidconnect's own RSA key signs with the `rsa`
/// crate, several times slower per signature (the OpenID Provider benchmark in
/// BENCHMARKS.md), and every code exchange signs an ID token.
pub struct RsaIdTokenSigner {
    pair: ring::signature::RsaKeyPair,
    public: CoreJsonWebKey,
}

impl RsaIdTokenSigner {
    /// From the PKCS#1 PEM the key is stored as.
    fn from_pem(pem: &str, kid: &str) -> Result<RsaIdTokenSigner, KeyError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let public = CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.to_string())))
            .map_err(|_| KeyError::Sealed)?
            .as_verification_key();
        let der = rsa::RsaPrivateKey::from_pkcs1_pem(pem).and_then(|k| k.to_pkcs1_der()).map_err(|_| KeyError::Sealed)?;
        let pair = ring::signature::RsaKeyPair::from_der(der.as_bytes()).map_err(|_| KeyError::Sealed)?;
        Ok(RsaIdTokenSigner { pair, public })
    }
}

impl PrivateSigningKey for RsaIdTokenSigner {
    type VerificationKey = CoreJsonWebKey;

    fn sign(&self, alg: &CoreJwsSigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        if *alg != CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256 {
            return Err(SigningError::UnsupportedAlg(format!("{alg:?}")));
        }
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(&ring::signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), message, &mut signature)
            .map_err(|_| SigningError::CryptoError)?;
        Ok(signature)
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        self.public.clone()
    }
}

/// The Ed25519 key that signs now, for the ID tokens of applications that ask for EdDSA.
pub struct EdSigningKey {
    pub kid: String,
    pub oidc: CoreEdDsaPrivateSigningKey,
    /// For the logout tokens of applications that asked for EdDSA (Back-Channel Logout §2.4:
    /// signed like their ID tokens).
    pub jwt: jsonwebtoken::EncodingKey,
}

/// The keys as read from the database at one moment.
pub struct KeyRing {
    pub signing: SigningKey,
    /// None until an application first asks for EdDSA ID tokens (and again after a
    /// rotation, until one asks again): [`Keys::current_with_eddsa`] makes it.
    pub eddsa: Option<EdSigningKey>,
    /// Every published key, of both algorithms: the JWKS.
    pub published: CoreJsonWebKeySet,
    /// Published keys by `kid`, to verify our tokens. An Ed25519 key is here too: whoever
    /// verifies says which algorithms it accepts (access tokens: RS256 only; an
    /// `id_token_hint`: RS256 or EdDSA), and jsonwebtoken refuses a key of another family.
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

    /// The current keys, making the first RSA key if there is none (the Ed25519 key is made
    /// by [`Keys::current_with_eddsa`] only).
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

    /// The current keys with an Ed25519 key among them, making it when there is none: the
    /// first time an application asks for EdDSA ID tokens, and again after a rotation.
    ///
    /// Another instance publishes a key made here when it next reads the keys (within a
    /// minute), as it does a rotation's new key.
    pub async fn current_with_eddsa(&self) -> Result<Arc<KeyRing>, KeyError> {
        let ring = self.current().await?;
        if ring.eddsa.is_some() {
            return Ok(ring);
        }
        // Under the write lock: two requests on this instance make one key, not two.
        let mut slot = self.cached.write().await;
        if let Some((_, ring)) = slot.as_ref().filter(|cached| cached.1.eddsa.is_some()) {
            return Ok(ring.clone());
        }
        let now = Utc::now();
        // Another instance may have made one since this one read the keys.
        if active(&self.db, SigningAlg::EdDsa).await?.is_empty() {
            make_first(&self.db, &self.kek, SigningAlg::EdDsa, now).await?;
        }
        let ring = Arc::new(load(&self.db, &self.kek, now).await?);
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

    /// Makes a new RSA signing key and retires every key that signs, of both algorithms
    /// (still published until [`PUBLISHED_AFTER_RETIREMENT`] has passed); a new Ed25519 key
    /// is made when one is next needed. Returns the new RSA key's id.
    pub async fn rotate(&self) -> Result<String, KeyError> {
        let now = Utc::now();
        let previous = unretired(&self.db).await?;
        let kid = create(&self.db, &self.kek, SigningAlg::Rs256, now).await?;
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
    /// Unpublishes the key `kid` (of either algorithm) at once (it leaked): every token it
    /// signed stops verifying here and, once they refetch the key set, at the applications.
    /// When it is a key that signs, the keys are rotated first (a new RSA key; a new Ed25519
    /// key when next needed). Returns the new RSA key's id in that case.
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

    /// Rotates when the RSA key that signs is older than `max_age` (the schedule). Returns the
    /// new key's id when it did. (The Ed25519 key is never older: a rotation retires both,
    /// and it is made again after.)
    pub async fn rotate_if_older_than(&self, max_age: Duration) -> Result<Option<String>, KeyError> {
        let now = Utc::now();
        let current = active(&self.db, SigningAlg::Rs256).await?;
        match current.first() {
            Some(key) if now - key.created_at < max_age => Ok(None),
            // No key yet: the first is made when first needed, not on a schedule.
            None => Ok(None),
            Some(_) => self.rotate().await.map(Some),
        }
    }
}

/// Keys of `alg` not retired, lowest `kid` first: every instance signs with the same one
/// even in the moment two of them made a first key each.
async fn active(db: &DatabaseConnection, alg: SigningAlg) -> Result<Vec<signing_keys::Model>, DbErr> {
    signing_keys::Entity::find()
        .filter(signing_keys::Column::RetiredAt.is_null())
        .filter(signing_keys::Column::Alg.eq(alg.as_str()))
        .order_by_asc(signing_keys::Column::Kid)
        .all(db)
        .await
}

/// Every key not retired, of any algorithm: what a rotation retires.
async fn unretired(db: &DatabaseConnection) -> Result<Vec<signing_keys::Model>, DbErr> {
    signing_keys::Entity::find().filter(signing_keys::Column::RetiredAt.is_null()).all(db).await
}

/// Makes and stores a new key of `alg`; returns its `kid`.
async fn create(db: &DatabaseConnection, kek: &KeyEncryptionKey, alg: SigningAlg, now: DateTime<Utc>) -> Result<String, KeyError> {
    let pem = match alg {
        SigningAlg::Rs256 => new_rsa_pem().await?,
        SigningAlg::EdDsa => new_ed25519_pem()?,
    };
    // An Ed25519 key's id sorts after every RSA key's (`e` after the date's digits): the
    // previous release signs with the lowest unretired `kid` of any algorithm, and must keep
    // finding its RSA key during a rolling upgrade (or after a rollback).
    let prefix = match alg {
        SigningAlg::Rs256 => "",
        SigningAlg::EdDsa => "ed-",
    };
    let kid = format!("{prefix}{}-{}", now.format("%Y%m%d"), &super::secret::random()[..12]);
    let public =
        public_jwk(alg, &pem, &kid).ok_or_else(|| KeyError::Generate(format!("the new {} key does not read back", alg.as_str())))?;
    let public = serde_json::to_value(public).map_err(|e| KeyError::Generate(e.to_string()))?;
    signing_keys::ActiveModel {
        kid: Set(kid.clone()),
        alg: Set(alg.as_str().to_string()),
        public_jwk: Set(public),
        private_key: Set(kek.seal(pem.as_bytes())?),
        created_at: Set(now),
        retired_at: Set(None),
        expires_at: Set(None),
    }
    .insert(db)
    .await?;
    tracing::info!(%kid, alg = alg.as_str(), "made a signing key");
    Ok(kid)
}

/// A new RSA 2048 key, as PKCS#1 PEM (what openidconnect and jsonwebtoken read).
async fn new_rsa_pem() -> Result<String, KeyError> {
    // Key generation is CPU work of a few hundred milliseconds: off the async workers.
    tokio::task::spawn_blocking(|| {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| KeyError::Generate(e.to_string()))?;
        key.to_pkcs1_pem(LineEnding::LF).map(|p| p.to_string()).map_err(|e| KeyError::Generate(e.to_string()))
    })
    .await
    .map_err(|e| KeyError::Generate(e.to_string()))?
}

/// A new Ed25519 key, as PKCS#8 PEM (what openidconnect reads). The 32 secret bytes come
/// straight from the OS: ed25519-dalek's own generator wants rand_core 0.10, this crate's
/// `OsRng` is rand_core 0.6's.
fn new_ed25519_pem() -> Result<String, KeyError> {
    use ed25519_dalek::pkcs8::{spki::der::pem::LineEnding as PemLineEnding, EncodePrivateKey};
    use password_hash::rand_core::RngCore;
    let mut secret = [0u8; 32];
    password_hash::rand_core::OsRng.fill_bytes(&mut secret);
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    key.to_pkcs8_pem(PemLineEnding::LF).map(|p| p.to_string()).map_err(|e| KeyError::Generate(e.to_string()))
}

/// The public JWK of the private key `pem` of `alg`, with its `kid`; None when `pem` is not
/// such a key.
fn public_jwk(alg: SigningAlg, pem: &str, kid: &str) -> Option<CoreJsonWebKey> {
    let kid = Some(JsonWebKeyId::new(kid.to_string()));
    match alg {
        SigningAlg::Rs256 => CoreRsaPrivateSigningKey::from_pem(pem, kid).ok().map(|k| k.as_verification_key()),
        SigningAlg::EdDsa => CoreEdDsaPrivateSigningKey::from_ed25519_pem(pem, kid).ok().map(|k| k.as_verification_key()),
    }
}

/// The PEM sealed in `row`.
fn open_pem(kek: &KeyEncryptionKey, row: &signing_keys::Model) -> Result<String, KeyError> {
    String::from_utf8(kek.open(&row.private_key)?).map_err(|_| KeyError::Sealed)
}

/// Makes the first key of `alg`. Two instances making it at once keep the same one (the
/// lowest `kid` among those made together): ours is retired at once if it lost, before it
/// signed anything.
async fn make_first(db: &DatabaseConnection, kek: &KeyEncryptionKey, alg: SigningAlg, now: DateTime<Utc>) -> Result<(), KeyError> {
    let mine = create(db, kek, alg, now).await?;
    let made = active(db, alg).await?;
    if made.first().is_some_and(|winner| winner.kid != mine) {
        signing_keys::ActiveModel { kid: Set(mine), retired_at: Set(Some(now)), expires_at: Set(Some(now)), ..Default::default() }
            .update(db)
            .await?;
    }
    Ok(())
}

/// The RSA key that signs, made when there is none yet.
async fn signing_rsa(db: &DatabaseConnection, kek: &KeyEncryptionKey, now: DateTime<Utc>) -> Result<SigningKey, KeyError> {
    let mut signing = active(db, SigningAlg::Rs256).await?;
    if signing.is_empty() {
        make_first(db, kek, SigningAlg::Rs256, now).await?;
        signing = active(db, SigningAlg::Rs256).await?;
    }
    let Some(current) = signing.first() else {
        return Err(KeyError::Generate("no signing key after making one".into()));
    };
    let pem = open_pem(kek, current)?;
    let oidc = RsaIdTokenSigner::from_pem(&pem, &current.kid)?;
    Ok(SigningKey { kid: current.kid.clone(), oidc })
}

/// The Ed25519 key that signs, if one was made (never made here: see
/// [`Keys::current_with_eddsa`]).
async fn signing_ed25519(db: &DatabaseConnection, kek: &KeyEncryptionKey) -> Result<Option<EdSigningKey>, KeyError> {
    let signing = active(db, SigningAlg::EdDsa).await?;
    let Some(current) = signing.first() else {
        return Ok(None);
    };
    let pem = open_pem(kek, current)?;
    let oidc =
        CoreEdDsaPrivateSigningKey::from_ed25519_pem(&pem, Some(JsonWebKeyId::new(current.kid.clone()))).map_err(|_| KeyError::Sealed)?;
    let jwt = jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|_| KeyError::Sealed)?;
    Ok(Some(EdSigningKey { kid: current.kid.clone(), oidc, jwt }))
}

/// The public JWK `row` publishes, derived from its sealed private key, never read from a
/// column on its own: a row written into the database by someone without the KEK cannot
/// publish a key of theirs. None when it does not open, or is not a key of its `alg`.
fn published_jwk(kek: &KeyEncryptionKey, row: &signing_keys::Model) -> Option<CoreJsonWebKey> {
    let alg = SigningAlg::parse(&row.alg)?;
    let pem = open_pem(kek, row).ok()?;
    public_jwk(alg, &pem, &row.kid)
}

/// jsonwebtoken's verifying key for a published JWK (RSA or OKP alike).
fn decoding_key(jwk: &CoreJsonWebKey) -> Option<jsonwebtoken::DecodingKey> {
    serde_json::to_value(jwk)
        .ok()
        .and_then(|json| serde_json::from_value::<jsonwebtoken::jwk::Jwk>(json).ok())
        .and_then(|j| jsonwebtoken::DecodingKey::from_jwk(&j).ok())
}

/// Reads the keys; makes the first RSA key when there is none.
async fn load(db: &DatabaseConnection, kek: &KeyEncryptionKey, now: DateTime<Utc>) -> Result<KeyRing, KeyError> {
    let signing = signing_rsa(db, kek, now).await?;
    let eddsa = signing_ed25519(db, kek).await?;
    let published_rows = signing_keys::Entity::find()
        .filter(signing_keys::Column::ExpiresAt.is_null().or(signing_keys::Column::ExpiresAt.gt(now)))
        .order_by_desc(signing_keys::Column::CreatedAt)
        .all(db)
        .await?;
    let mut published = Vec::new();
    let mut verifying = HashMap::new();
    for row in published_rows {
        let Some(jwk) = published_jwk(kek, &row) else {
            tracing::error!(kid = %row.kid, alg = %row.alg, "a stored signing key could not be opened; it is not published");
            continue;
        };
        if let Some(decoding) = decoding_key(&jwk) {
            verifying.insert(row.kid.clone(), decoding);
        }
        published.push(jwk);
    }
    Ok(KeyRing { signing, eddsa, published: CoreJsonWebKeySet::new(published), verifying })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sign_jwt_is_what_jsonwebtoken_encodes() {
        let pem = new_rsa_pem().await.unwrap();
        let key = SigningKey { kid: "k1".into(), oidc: RsaIdTokenSigner::from_pem(&pem, "k1").unwrap() };
        let claims = serde_json::json!({ "iss": "https://a.example", "sub": "u1", "scope": "openid", "exp": 1 });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some("k1".into());
        header.typ = Some("at+jwt".into());
        let encoding = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let expected = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
        // PKCS#1 v1.5 signatures are deterministic: the same token, byte for byte.
        assert_eq!(key.sign_jwt("at+jwt", &claims).unwrap(), expected);
    }

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
    fn an_ed25519_key_sealed_opens_and_is_published_as_okp() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use openidconnect::{core::CoreJwsSigningAlgorithm, JsonWebKey};

        let kek = KeyEncryptionKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let pem = new_ed25519_pem().unwrap();
        let row = signing_keys::Model {
            kid: "20261207-abcdefabcdef".into(),
            alg: SigningAlg::EdDsa.as_str().into(),
            public_jwk: serde_json::Value::Null,
            private_key: kek.seal(pem.as_bytes()).unwrap(),
            created_at: Utc::now(),
            retired_at: None,
            expires_at: None,
        };
        assert_eq!(open_pem(&kek, &row).unwrap(), pem, "sealed and opened, the same key");
        let jwk = public_jwk(SigningAlg::EdDsa, &open_pem(&kek, &row).unwrap(), &row.kid).expect("an Ed25519 key");
        let json = serde_json::to_value(&jwk).unwrap();
        assert_eq!(json["kty"], "OKP", "{json}");
        assert_eq!(json["crv"], "Ed25519", "{json}");
        assert_eq!(json["kid"], row.kid.as_str());
        assert_eq!(URL_SAFE_NO_PAD.decode(json["x"].as_str().unwrap()).unwrap().len(), 32);
        assert!(json.get("d").is_none(), "the JWK has no private part: {json}");
        assert!(public_jwk(SigningAlg::Rs256, &pem, &row.kid).is_none(), "the alg column and the key must agree");
        assert_eq!(SigningAlg::parse(&row.alg), Some(SigningAlg::EdDsa));

        // What the key signs verifies with the published JWK, by openidconnect (relying
        // parties) and by jsonwebtoken (an `id_token_hint`); an RS256 check refuses it.
        let key = CoreEdDsaPrivateSigningKey::from_ed25519_pem(&pem, Some(JsonWebKeyId::new(row.kid.clone()))).unwrap();
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, row.kid));
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"someone"}"#);
        let input = format!("{header}.{payload}");
        let signature = key.sign(&CoreJwsSigningAlgorithm::EdDsa, input.as_bytes()).unwrap();
        jwk.verify_signature(&CoreJwsSigningAlgorithm::EdDsa, input.as_bytes(), &signature).unwrap();
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature));
        let decoding = decoding_key(&jwk).expect("jsonwebtoken reads the OKP key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap().claims;
        assert_eq!(claims["sub"], "someone");
        let rs256 = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &rs256).is_err());
    }

    #[test]
    fn algorithms_are_read_by_their_exact_jose_names() {
        assert_eq!(SigningAlg::parse("RS256"), Some(SigningAlg::Rs256));
        assert_eq!(SigningAlg::parse("EdDSA"), Some(SigningAlg::EdDsa));
        for other in ["rs256", "eddsa", "ES256", "HS256", "none", ""] {
            assert_eq!(SigningAlg::parse(other), None, "{other}");
        }
        assert_eq!(SigningAlg::default(), SigningAlg::Rs256);
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
