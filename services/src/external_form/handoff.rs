//! The server side of external forms: the stage secrets, sending the person to the form, and
//! taking the answers back.

use domain::user_id::UserId;

use chrono::{Duration, Utc};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, SqlErr};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use tower_sessions::Session;

use super::{answers_as_form_values, AnswerToken, FormProblem, SessionToken};
use domain::return_to::ReturnTo;

use crate::{
    entities::{form_secrets, form_token_uses},
    profile::{store, Source},
    profiling::{answer_stage_from, current_value, load_config, login_moment, next_prompt, ExternalForm, FieldKey, ProfilingError, Stage},
};

/// The round trip this browser session is on: kept in the session when it leaves for the
/// form, checked when it comes back.
const PENDING: &str = "external_form.pending";

/// How far a clock may drift between AskOnce and the form.
const LEEWAY_SECS: u64 = 30;

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
}

/// Makes (or replaces) the secret of external stage `stage`; returned this once only. A
/// replaced secret stops the old one at once: a form still signing with it is refused.
#[tracing::instrument(skip(db))]
pub async fn make_secret(db: &DatabaseConnection, stage: &str, actor: crate::audit::Actor<'_>) -> Result<String, FormError> {
    external_stage(db, stage).await?;
    let secret = format!("fsec_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let txn = crate::db::begin_write(db).await?;
    form_secrets::Entity::delete_by_id(stage.to_string()).exec(&txn).await?;
    form_secrets::ActiveModel { stage_key: Set(stage.to_string()), secret: Set(secret.clone()), created_at: Set(Utc::now()) }
        .insert(&txn)
        .await?;
    crate::audit::record(&txn, actor, crate::audit::Action::FormSecretMade, None, json!({ "stage": stage })).await?;
    txn.commit().await?;
    Ok(secret)
}

async fn secret_of(db: &DatabaseConnection, stage: &str) -> Result<String, FormError> {
    let row = form_secrets::Entity::find_by_id(stage.to_string()).one(db).await?;
    Ok(row.ok_or(FormProblem::NotSetUp)?.secret)
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
#[tracing::instrument(skip(db, session, public_url))]
pub async fn start(
    db: &DatabaseConnection,
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
    let secret = secret_of(db, stage.key.as_str()).await?;

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

/// Takes the answers the form returned (`/continue?state=…&token=…`) for `user_id`: checks
/// the token (signature with the stage's secret, audience, expiry, taken once), that it
/// belongs to the round trip this browser session started, and the answers against the
/// stage's fields; stores them with provenance `form:<stage>`. Where to go next.
#[tracing::instrument(skip(db, session, public_url, token))]
pub async fn finish(
    db: &DatabaseConnection,
    session: &Session,
    public_url: &str,
    user_id: &UserId,
    state: &str,
    token: &str,
) -> Result<ReturnTo, FormError> {
    // The stage names the secret; nothing in the token is believed before it is checked.
    let stage = peek_stage(token)?;
    let (stage, form) = match external_stage(db, &stage).await {
        Ok(found) => found,
        Err(FormError::NoSuchStage(_) | FormError::NotExternal(_)) => return Err(FormProblem::BadToken.into()),
        Err(e) => return Err(e),
    };
    let secret = secret_of(db, stage.key.as_str()).await?;
    let claims = verify(token, &secret, public_url)?;

    let now = Utc::now();
    let longest = now + Duration::minutes(i64::from(form.token_minutes)) + Duration::seconds(LEEWAY_SECS as i64);
    if claims.exp > longest.timestamp() || claims.jti.is_empty() || claims.jti.len() > 128 {
        return Err(FormProblem::BadToken.into());
    }
    if form_token_uses::Entity::find_by_id(claims.jti.clone()).one(db).await?.is_some() {
        return Err(FormProblem::Replayed.into());
    }
    let pending = session.get::<Pending>(PENDING).await?.filter(|p| p.user_id == user_id.as_str()).ok_or(FormProblem::NotStarted)?;
    if pending.stage != stage.key.as_str() || pending.state != state || claims.state != state {
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

    take_once(db, &claims.jti, claims.exp).await?;
    let user = store::load(db, user_id).await?.ok_or(FormProblem::NotStarted)?;
    let source = Source::Form { stage: stage.key.to_string() };
    let context = crate::profiling::field::HiddenContext::default();
    let saved = answer_stage_from(db, user_id, stage.key.as_str(), &login_moment(user.logins_count), &values, source, &context, None).await;
    if let Err(e) = saved {
        // Nothing was saved: the token may be sent again once the form is fixed.
        form_token_uses::Entity::delete_by_id(claims.jti.clone()).exec(db).await?;
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

/// The `stage` claim of a token, read without trusting it.
fn peek_stage(token: &str) -> Result<String, FormProblem> {
    #[derive(Deserialize)]
    struct StageOnly {
        stage: String,
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.insecure_disable_signature_validation();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<StageOnly>(token, &DecodingKey::from_secret(&[]), &validation).map_err(|_| FormProblem::BadToken)?;
    Ok(data.claims.stage)
}

/// The claims of `token` if it is signed with `secret` (HS256 only), meant for this AskOnce
/// and not expired.
fn verify(token: &str, secret: &str, public_url: &str) -> Result<AnswerToken, FormProblem> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[public_url]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    validation.leeway = LEEWAY_SECS;
    match jsonwebtoken::decode::<AnswerToken>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation) {
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
    let expires_at = chrono::DateTime::from_timestamp(exp, 0).unwrap_or(now) + Duration::seconds(LEEWAY_SECS as i64);
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
        assert_eq!(peek_stage(&good).unwrap(), "work");
        let taken = verify(&good, "secret", "https://login.example").unwrap();
        assert_eq!(taken.answers["company"], "Acme");

        assert_eq!(verify(&good, "other secret", "https://login.example"), Err(FormProblem::BadToken));
        assert_eq!(verify(&good, "secret", "https://elsewhere.example"), Err(FormProblem::BadToken));
        let old = sign(&claims(Utc::now().timestamp() - 600), "secret");
        assert_eq!(verify(&old, "secret", "https://login.example"), Err(FormProblem::Expired));

        // `alg: none` and other algorithms are refused whatever they claim.
        let unsigned = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims(later).to_string()));
        assert_eq!(verify(&unsigned, "secret", "https://login.example"), Err(FormProblem::BadToken));
        assert_eq!(peek_stage("not a token"), Err(FormProblem::BadToken));
    }

    fn b64(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
