//! The server side of external forms: the stage secrets, sending the person to the form, and
//! taking the answers back.

use domain::user_id::UserId;

use chrono::{Duration, Utc};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, SqlErr};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use sha2::Digest;
use tower_sessions::Session;

use super::{
    answers_as_form_values, ConfiguredForms, FormProblem, ReturnExpected, ReturnedClaims, RoundTripOutcome, SessionToken, LEEWAY_SECS,
};
use domain::return_to::ReturnTo;

use crate::{
    entities::{form_secrets, form_token_uses},
    profile::{store, Source},
    profiling::{answer_stage_from, current_value, load_config, login_moment, next_prompt, ExternalForm, FieldKey, ProfilingError, Stage},
};

/// The round trip this browser session is on: kept in the session when it leaves for the
/// form, checked when it comes back.
const PENDING: &str = "external_form.pending";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    user_id: String,
    stage: String,
    state: String,
    return_to: ReturnTo,
}

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// Told to the person (see [`FormProblem`]).
    #[error(transparent)]
    Problem(#[from] FormProblem),
    #[error("there is no stage `{0}`")]
    NoSuchStage(String),
    #[error("stage `{0}` is asked here, not by an external form")]
    NotExternal(String),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Profiling(#[from] ProfilingError),
    #[error("session store failed: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error("signing the session token failed: {0}")]
    Signing(jsonwebtoken::errors::Error),
    /// A secret or issuer the site owner chose that cannot be used (why, for them).
    #[error("{0}")]
    InvalidSetting(&'static str),
    /// The configuration file sets this stage's secret: change it there.
    #[error("this stage's secret is set in askonce.toml ([external_forms]); change it there")]
    Configured,
}

/// What the site owner sets for an external form stage: its secret (made by AskOnce when
/// `None`) and the issuer its returned tokens name (`None`: left as it is; `Some("")`: back
/// to the default, AskOnce's public URL).
#[derive(Debug, Clone, Default)]
pub struct FormSecretChoice {
    pub secret: Option<String>,
    pub issuer: Option<String>,
}

/// The shortest secret a site owner may set (HS256 wants at least the hash's 32 bytes).
pub const MIN_SECRET_BYTES: usize = 32;
/// The longest secret or issuer stored.
pub const MAX_SETTING_CHARS: usize = 128;

/// A stage's form settings: its secret (shown to the site owner once, when set) and issuer.
#[derive(Clone, PartialEq, Eq)]
pub struct FormSettings {
    pub secret: String,
    pub issuer: Option<String>,
}

impl std::fmt::Debug for FormSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormSettings").field("secret", &"[redacted]").field("issuer", &self.issuer).finish()
    }
}

/// Sets external stage `stage`'s secret — the site owner's own (seed 002's
/// `SESSION_TOKEN_SECRET`, at least [`MIN_SECRET_BYTES`]) or a new one AskOnce makes — and,
/// when given, the issuer its returned tokens name. The old secret stops at once. Audited
/// (never the secret itself).
#[tracing::instrument(skip(db, choice), fields(own_secret = choice.secret.is_some(), issuer = ?choice.issuer))]
pub async fn set_form_secret(
    db: &DatabaseConnection,
    configured: &ConfiguredForms,
    stage: &str,
    choice: FormSecretChoice,
    actor: crate::audit::Actor<'_>,
) -> Result<FormSettings, FormError> {
    external_stage(db, stage).await?;
    configured.refuse_if_configured(stage)?;
    let own = choice.secret.is_some();
    let secret = match choice.secret {
        Some(own) => {
            check_secret(&own)?;
            own
        }
        None => format!("fsec_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
    };
    let issuer = match choice.issuer.as_deref().map(str::trim) {
        Some("") => Some(None),
        Some(issuer) => {
            check_issuer(issuer)?;
            Some(Some(issuer.to_string()))
        }
        None => None,
    };
    let txn = crate::db::begin_write(db).await?;
    let before = form_secrets::Entity::find_by_id(stage.to_string()).one(&txn).await?;
    let issuer = issuer.unwrap_or_else(|| before.and_then(|b| b.issuer));
    form_secrets::Entity::delete_by_id(stage.to_string()).exec(&txn).await?;
    form_secrets::ActiveModel {
        stage_key: Set(stage.to_string()),
        secret: Set(secret.clone()),
        created_at: Set(Utc::now()),
        issuer: Set(issuer.clone()),
    }
    .insert(&txn)
    .await?;
    let details = json!({ "stage": stage, "secret": if own { "set by the site owner" } else { "made by AskOnce" }, "issuer": issuer });
    crate::audit::record(&txn, actor, crate::audit::Action::FormSecretMade, None, details).await?;
    txn.commit().await?;
    Ok(FormSettings { secret, issuer })
}

/// A secret a site owner chose: [`MIN_SECRET_BYTES`] to [`MAX_SETTING_CHARS`], no control
/// characters.
pub(crate) fn check_secret(secret: &str) -> Result<(), FormError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(FormError::InvalidSetting("The secret must be at least 32 bytes long."));
    }
    if secret.len() > MAX_SETTING_CHARS {
        return Err(FormError::InvalidSetting("The secret may be at most 128 bytes long."));
    }
    if secret.chars().any(char::is_control) {
        return Err(FormError::InvalidSetting("The secret may not contain control characters."));
    }
    // Every signed-in person sees a session token signed with it and may try to guess it
    // offline: refuse what is plainly not random (a repeated pattern, a word padded out).
    let distinct = secret.bytes().collect::<std::collections::BTreeSet<u8>>().len();
    if distinct < MIN_DISTINCT_SECRET_BYTES {
        return Err(FormError::InvalidSetting(
            "The secret does not look random: use a long random string (e.g. `openssl rand -base64 32`), or let AskOnce make one.",
        ));
    }
    Ok(())
}

/// The fewest different bytes a site's own secret may have (a random 32-character base64
/// string has about 26).
const MIN_DISTINCT_SECRET_BYTES: usize = 16;

/// An issuer a site owner chose: at most [`MAX_SETTING_CHARS`], no control characters.
pub(crate) fn check_issuer(issuer: &str) -> Result<(), FormError> {
    if issuer.chars().count() > MAX_SETTING_CHARS {
        return Err(FormError::InvalidSetting("The issuer may be at most 128 characters long."));
    }
    if issuer.chars().any(char::is_control) {
        return Err(FormError::InvalidSetting("The issuer may not contain control characters."));
    }
    Ok(())
}

/// The stage's secret and issuer — the configuration file's when it sets them, else the
/// stored ones; `NotSetUp` when it has no secret yet.
pub async fn form_settings(db: &DatabaseConnection, configured: &ConfiguredForms, stage: &str) -> Result<FormSettings, FormError> {
    if let Some(settings) = configured.get(stage) {
        return Ok(settings);
    }
    let row = form_secrets::Entity::find_by_id(stage.to_string()).one(db).await?;
    let row = row.ok_or(FormProblem::NotSetUp)?;
    Ok(FormSettings { secret: row.secret, issuer: row.issuer })
}

async fn external_stage(db: &DatabaseConnection, stage: &str) -> Result<(Stage, ExternalForm), FormError> {
    let key = FieldKey::parse(stage).map_err(|_| FormError::NoSuchStage(stage.to_string()))?;
    let config = load_config(db).await?;
    let stage = config.stage(&key).cloned().ok_or_else(|| FormError::NoSuchStage(key.to_string()))?;
    let form = stage.external.clone().ok_or_else(|| FormError::NotExternal(key.to_string()))?;
    Ok((stage, form))
}

/// Where to send `user_id` for `stage`'s form: the form's address with a fresh session token
/// and state. Only the stage the engine asks now can be started; the round trip is remembered
/// in `session` (a new start replaces an earlier one).
#[tracing::instrument(skip(db, configured, session, public_url))]
pub async fn start(
    db: &DatabaseConnection,
    configured: &ConfiguredForms,
    session: &Session,
    public_url: &str,
    user_id: &UserId,
    stage: &str,
    return_to: ReturnTo,
) -> Result<String, FormError> {
    let user = store::load(db, user_id).await?.ok_or(FormProblem::NotStarted)?;
    let prompt = next_prompt(db, user_id, &login_moment(user.logins_count)).await?;
    let prompt = prompt.filter(|p| p.stage.as_str() == stage && p.external).ok_or(FormProblem::NotOpen)?;
    let (stage, form) = external_stage(db, stage).await?;
    let secret = form_settings(db, configured, stage.key.as_str()).await?.secret;

    let config = load_config(db).await?;
    let mut profile = Map::new();
    for key in &stage.fields {
        if let Some(value) = config.field(key).and_then(|f| current_value(&user, &f.target)) {
            profile.insert(key.to_string(), value);
        }
    }
    let now = Utc::now();
    let state = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let claims = SessionToken {
        iss: public_url.to_string(),
        aud: form.url.clone(),
        sub: user_id.to_string(),
        iat: now.timestamp(),
        exp: (now + Duration::minutes(i64::from(form.token_minutes))).timestamp(),
        jti: uuid::Uuid::new_v4().to_string(),
        stage: stage.key.to_string(),
        state: state.clone(),
        ask: prompt.fields.iter().map(|f| f.key.to_string()).collect(),
        profile,
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .map_err(FormError::Signing)?;
    let pending = Pending { user_id: user_id.to_string(), stage: stage.key.to_string(), state: state.clone(), return_to };
    session.insert(PENDING, pending).await?;
    super::round_trips::started(db, stage.key.as_str(), user_id.as_str(), &state, now).await;
    // The configured address passed `web_address::check`; a stored one that no longer parses
    // is a broken configuration, not the person's problem to solve.
    let mut url = url::Url::parse(&form.url).map_err(|_| FormProblem::NotSetUp)?;
    url.query_pairs_mut().append_pair("session_token", &token).append_pair("state", &state);
    Ok(url.into())
}

/// Where the person goes after a form's problem: back to the questions, which say what went
/// wrong, then on to where they were going.
pub async fn return_to_after_problem(session: &Session) -> ReturnTo {
    session.get::<Pending>(PENDING).await.ok().flatten().map(|p| p.return_to).unwrap_or_default()
}

/// Takes the answers the form returned (`/continue?state=…&token=…`, or `session_token=…`)
/// for `user_id`: checks the token (signature with the stage's secret, meant for this AskOnce,
/// expiry, taken once — see [`ReturnedClaims::check`] for both formats), that it belongs to
/// the round trip this browser session started, and the answers against the stage's fields;
/// stores them with provenance `form:<stage>`. Where to go next.
#[tracing::instrument(skip(db, configured, session, public_url, token))]
pub async fn finish(
    db: &DatabaseConnection,
    configured: &ConfiguredForms,
    session: &Session,
    public_url: &str,
    user_id: &UserId,
    state: &str,
    token: &str,
) -> Result<ReturnTo, FormError> {
    // The round trip this browser is on, read before taking the return clears it: what the
    // record of round trips updates.
    let pending = session.get::<Pending>(PENDING).await?.filter(|p| p.user_id == user_id.as_str());
    let result = take_return(db, configured, session, pending.clone(), public_url, user_id, state, token).await;
    let (outcome, reason) = match &result {
        Ok(_) => (RoundTripOutcome::Stored, None),
        Err(FormError::Problem(p)) => (RoundTripOutcome::Refused, Some(*p)),
        Err(_) => (RoundTripOutcome::Failed, None),
    };
    // Recorded on the round trip this browser is on; a return matching none (a replay after
    // the round trip ended, a forged link) is only logged — what it claims is unchecked, and
    // recording it would let anyone fill the console's list.
    match &pending {
        Some(p) => super::round_trips::returned(db, &p.stage, user_id.as_str(), &p.state, outcome, reason, Utc::now()).await,
        None => {
            tracing::info!(outcome = outcome.as_str(), reason = reason.map(FormProblem::code), "a form's return outside any round trip")
        }
    }
    result
}

/// [`finish`]'s work; `pending`: the round trip this browser is on, as `finish` read it.
#[allow(clippy::too_many_arguments)]
async fn take_return(
    db: &DatabaseConnection,
    configured: &ConfiguredForms,
    session: &Session,
    pending: Option<Pending>,
    public_url: &str,
    user_id: &UserId,
    state: &str,
    token: &str,
) -> Result<ReturnTo, FormError> {
    // A token without `jti` is taken once by its hash: the very same token again is a replay
    // whatever the session holds now (the round trip it finished is gone from it).
    let hashed = format!("sha256:{}", hex::encode(sha2::Sha256::digest(token.as_bytes())));
    if form_token_uses::Entity::find_by_id(hashed.clone()).one(db).await?.is_some() {
        return Err(FormProblem::Replayed.into());
    }
    // The stage names the secret: the token's `stage` claim (AskOnce's format), else the round
    // trip this browser is on (seed 002's format names none). Nothing in the token is believed
    // before its signature is checked with that stage's secret.
    let stage = match peek_stage(token)? {
        Some(stage) => stage,
        None => pending.as_ref().ok_or(FormProblem::NotStarted)?.stage.clone(),
    };
    let (stage, form) = match external_stage(db, &stage).await {
        Ok(found) => found,
        Err(FormError::NoSuchStage(_) | FormError::NotExternal(_)) => return Err(FormProblem::BadToken.into()),
        Err(e) => return Err(e),
    };
    let settings = form_settings(db, configured, stage.key.as_str()).await?;
    let claims = verify(token, &settings.secret)?.check(ReturnExpected {
        public_url,
        issuer: settings.issuer.as_deref().unwrap_or(public_url),
        stage: stage.key.as_str(),
        token_minutes: form.token_minutes,
        now: Utc::now().timestamp(),
    })?;
    // Taken once: by its `jti`, or — seed 002's tokens have none — by the token itself.
    let once = claims.jti.clone().unwrap_or(hashed);
    if form_token_uses::Entity::find_by_id(once.clone()).one(db).await?.is_some() {
        return Err(FormProblem::Replayed.into());
    }
    let pending = pending.ok_or(FormProblem::NotStarted)?;
    if pending.stage != stage.key.as_str() || pending.state != state || claims.state.as_deref().is_some_and(|s| s != state) {
        return Err(FormProblem::StateMismatch.into());
    }
    if claims.sub != user_id.as_str() {
        return Err(FormProblem::WrongPerson.into());
    }
    let field_keys: Vec<String> = stage.fields.iter().map(|f| f.to_string()).collect();
    let values = answers_as_form_values(&claims.answers, &field_keys).map_err(|wrong| {
        tracing::info!(?wrong, "an external form answered fields its stage does not have");
        FormProblem::InvalidAnswers
    })?;

    take_once(db, &once, claims.exp).await?;
    let user = store::load(db, user_id).await?.ok_or(FormProblem::NotStarted)?;
    let source = Source::Form { stage: stage.key.to_string() };
    let context = crate::profiling::field::HiddenContext::default();
    let saved = answer_stage_from(db, user_id, stage.key.as_str(), &login_moment(user.logins_count), &values, source, &context, None).await;
    if let Err(e) = saved {
        // Nothing was saved: the token may be sent again once the form is fixed.
        form_token_uses::Entity::delete_by_id(once).exec(db).await?;
        return Err(match e {
            ProfilingError::Invalid(problems) => {
                tracing::info!(?problems, "an external form's answers failed the stage's validation");
                FormProblem::InvalidAnswers.into()
            }
            ProfilingError::StageNotOpen => FormProblem::NotOpen.into(),
            other => other.into(),
        });
    }
    session.remove::<Pending>(PENDING).await?;
    Ok(pending.return_to)
}

/// The `stage` claim of a token, read without trusting it (`None`: the token has none).
fn peek_stage(token: &str) -> Result<Option<String>, FormProblem> {
    #[derive(Deserialize)]
    struct StageOnly {
        #[serde(default)]
        stage: Option<String>,
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.insecure_disable_signature_validation();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<StageOnly>(token, &DecodingKey::from_secret(&[]), &validation).map_err(|_| FormProblem::BadToken)?;
    Ok(data.claims.stage)
}

/// The claims of `token` if it is signed with `secret` (HS256 only) and not expired; whom it
/// is for is [`ReturnedClaims::check`]'s to say.
fn verify(token: &str, secret: &str) -> Result<ReturnedClaims, FormProblem> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.leeway = LEEWAY_SECS.unsigned_abs();
    match jsonwebtoken::decode::<ReturnedClaims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation) {
        Ok(data) => Ok(data.claims),
        Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => Err(FormProblem::Expired),
        Err(e) => {
            tracing::info!(error = %e, "an external form's token was refused");
            Err(FormProblem::BadToken)
        }
    }
}

/// Records `jti` as taken, until it expires; `Replayed` if another request took it first.
async fn take_once(db: &DatabaseConnection, jti: &str, exp: i64) -> Result<(), FormError> {
    let now = Utc::now();
    form_token_uses::Entity::delete_many().filter(form_token_uses::Column::ExpiresAt.lt(now)).exec(db).await?;
    // Kept well past the moment the token stops verifying (`exp` + the leeway, in whole
    // seconds) so that no instant exists where it verifies and is already forgotten.
    let expires_at = chrono::DateTime::from_timestamp(exp, 0).unwrap_or(now) + Duration::seconds(LEEWAY_SECS + 120);
    let taken = form_token_uses::ActiveModel { jti: Set(jti.to_string()), expires_at: Set(expires_at) }.insert(db).await;
    match taken {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(FormProblem::Replayed.into()),
        Err(e) => Err(e.into()),
    }
}

/// The origins of the configured external forms, for the pages' CSP `form-action`: a sign-in
/// form posted without JavaScript lands on `/welcome`, which sends on to the form, and the
/// browser checks every redirect after a form post against the posting page's policy. Read
/// from the database at most every [`FormOrigins::REFRESH`], so a new form works on every
/// instance within seconds without a query per page.
#[derive(Clone)]
pub struct FormOrigins {
    db: DatabaseConnection,
    cached: std::sync::Arc<std::sync::Mutex<Option<CachedOrigins>>>,
}

/// When the origins were read, and what they were.
type CachedOrigins = (std::time::Instant, std::sync::Arc<Vec<String>>);

impl FormOrigins {
    pub const REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, cached: Default::default() }
    }

    pub async fn get(&self) -> std::sync::Arc<Vec<String>> {
        let cached = self.cached.lock().ok().and_then(|c| c.clone());
        if let Some((at, origins)) = &cached {
            if at.elapsed() < Self::REFRESH {
                return origins.clone();
            }
        }
        let origins = match load_form_origins(&self.db).await {
            Ok(origins) => std::sync::Arc::new(origins),
            Err(e) => {
                tracing::warn!(error = %e, "reading the external forms' origins failed; keeping the last known");
                return cached.map(|(_, o)| o).unwrap_or_default();
            }
        };
        if let Ok(mut slot) = self.cached.lock() {
            *slot = Some((std::time::Instant::now(), origins.clone()));
        }
        origins
    }
}

async fn load_form_origins(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    use crate::entities::profile_stages;
    use sea_orm::QuerySelect;
    let forms: Vec<Option<serde_json::Value>> = profile_stages::Entity::find()
        .select_only()
        .column(profile_stages::Column::ExternalForm)
        .filter(profile_stages::Column::ExternalForm.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut origins: Vec<String> = forms
        .into_iter()
        .flatten()
        .filter_map(|v| serde_json::from_value::<ExternalForm>(v).ok())
        .filter_map(|f| url::Url::parse(&f.url).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect();
    origins.sort();
    origins.dedup();
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(claims: &serde_json::Value, secret: &str) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn claims(exp: i64) -> serde_json::Value {
        json!({"aud": "https://login.example", "sub": "u1", "exp": exp, "jti": "j1", "state": "s1", "stage": "work",
               "answers": {"company": "Acme"}})
    }

    #[test]
    fn a_token_is_believed_only_with_the_right_secret_audience_and_time() {
        let later = Utc::now().timestamp() + 300;
        let good = sign(&claims(later), "secret");
        assert_eq!(peek_stage(&good).unwrap().as_deref(), Some("work"));
        let taken = verify(&good, "secret").unwrap();
        assert_eq!(taken.answers.as_ref().unwrap()["company"], "Acme");

        assert_eq!(verify(&good, "other secret"), Err(FormProblem::BadToken));
        let old = sign(&claims(Utc::now().timestamp() - 600), "secret");
        assert_eq!(verify(&old, "secret"), Err(FormProblem::Expired));

        // `alg: none` and other algorithms are refused whatever they claim.
        let unsigned = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims(later).to_string()));
        assert_eq!(verify(&unsigned, "secret"), Err(FormProblem::BadToken));
        let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims(later), &EncodingKey::from_secret(b"secret")).unwrap();
        assert_eq!(verify(&hs512, "secret"), Err(FormProblem::BadToken));
        assert_eq!(peek_stage("not a token"), Err(FormProblem::BadToken));
        // Seed 002's tokens name no stage.
        let seed = sign(&json!({"other": {"company": "Acme"}, "iss": "https://login.example", "sub": "u1", "exp": later}), "secret");
        assert_eq!(peek_stage(&seed).unwrap(), None);
    }

    fn b64(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
