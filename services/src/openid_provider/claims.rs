//! What a person's profile tells an application: the standard claims their scopes release
//! (OpenID Connect Core §5.4) and, under one namespaced claim, the `user_metadata` keys the
//! site owner released to that application. Nothing else leaves AskOnce; where a value came
//! from (an answer, a provider, a hook) stays in AskOnce's provenance, not in the token.

use openidconnect::{
    core::CoreGenderClaim, AdditionalClaims, EndUserEmail, EndUserFamilyName, EndUserGivenName, EndUserName, EndUserNickname,
    EndUserPictureUrl, EndUserUsername, LanguageTag, StandardClaims, SubjectIdentifier,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{clients::Client, Scopes};
use crate::entities::users;

/// AskOnce's claims beyond the standard ones: the session id (`sid`, for logout) and the
/// released `user_metadata` under its namespaced name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AskOnceClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AdditionalClaims for AskOnceClaims {}

/// The standard claims `scope` releases of `user`.
pub fn standard(user: &users::Model, scope: &Scopes) -> StandardClaims<CoreGenderClaim> {
    let mut claims = StandardClaims::new(SubjectIdentifier::new(user.id.clone()));
    let wants = |claim: &str| scope.releases(claim);
    if wants("email") {
        claims = claims.set_email(user.email.clone().map(EndUserEmail::new));
        if user.email.is_some() {
            claims = claims.set_email_verified(Some(user.email_verified));
        }
    }
    if wants("name") {
        claims = claims
            .set_name(user.name.clone().map(|v| EndUserName::new(v).into()))
            .set_given_name(user.given_name.clone().map(|v| EndUserGivenName::new(v).into()))
            .set_family_name(user.family_name.clone().map(|v| EndUserFamilyName::new(v).into()))
            .set_nickname(user.nickname.clone().map(|v| EndUserNickname::new(v).into()))
            .set_preferred_username(user.nickname.clone().map(EndUserUsername::new))
            .set_picture(user.picture.clone().map(|v| EndUserPictureUrl::new(v).into()))
            .set_locale(user.locale.clone().map(LanguageTag::new))
            .set_updated_at(Some(user.updated_at));
    }
    claims
}

/// The released `user_metadata` keys that `user` has a value for, or None when the client
/// is given none (or the person has none of them).
pub fn released_metadata(user: &users::Model, client: &Client) -> Option<Value> {
    let metadata = user.user_metadata.as_object()?;
    let released: Map<String, Value> =
        client.released_fields.iter().filter_map(|key| metadata.get(key).map(|v| (key.clone(), v.clone()))).collect();
    (!released.is_empty()).then_some(Value::Object(released))
}

/// AskOnce's own claims for `user` at `client`: `sid` when there is a session, and the
/// released metadata under `metadata_claim`.
pub fn additional(user: &users::Model, client: &Client, metadata_claim: &str, sid: Option<&str>) -> AskOnceClaims {
    let mut extra = Map::new();
    if let Some(released) = released_metadata(user, client) {
        extra.insert(metadata_claim.to_string(), released);
    }
    AskOnceClaims { sid: sid.map(str::to_string), extra }
}
