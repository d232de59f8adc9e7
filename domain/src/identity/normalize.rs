//! Claim normalization: one pure function per provider kind turns the raw claims / userinfo a
//! provider sent into AskOnce's root attributes. The raw data itself is kept on the identity
//! (`profile_data`); only what these functions return is copied onto the profile.
//!
//! Rules common to all providers: strings are trimmed, empty strings are absent, values are
//! cut to the size the profile stores, a picture must be an http(s) URL, locales become BCP 47
//! (`en_US` -> `en-US`). An email is verified only when the provider says so explicitly.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of connection AskOnce knows. Presets differ only in where their claims live and
/// what they mean; `Oidc` covers any standards-following issuer (Okta, Auth0, Keycloak…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Oidc,
    Google,
    Microsoft,
    Github,
    Gitlab,
    Linkedin,
    /// Facebook Login: OAuth2 and the Graph API's `/me` (no ID token).
    Facebook,
    /// Sign in with Apple: OpenID Connect with a form-posted answer and a signed client secret.
    Apple,
    /// Local email + password accounts.
    Password,
}

impl ProviderKind {
    /// Auth0's `provider` value for identities of this kind.
    pub fn provider_name(self) -> &'static str {
        match self {
            ProviderKind::Oidc => "oidc",
            ProviderKind::Google => "google-oauth2",
            ProviderKind::Microsoft => "windowslive",
            ProviderKind::Github => "github",
            ProviderKind::Gitlab => "gitlab",
            ProviderKind::Linkedin => "linkedin",
            ProviderKind::Facebook => "facebook",
            ProviderKind::Apple => "apple",
            ProviderKind::Password => "auth0",
        }
    }

    /// Every kind.
    pub const ALL: [ProviderKind; 9] = [
        ProviderKind::Oidc,
        ProviderKind::Google,
        ProviderKind::Microsoft,
        ProviderKind::Github,
        ProviderKind::Gitlab,
        ProviderKind::Linkedin,
        ProviderKind::Facebook,
        ProviderKind::Apple,
        ProviderKind::Password,
    ];

    /// The kind an identity row was created by, from its stored `provider` name. Every
    /// standards-following issuer is stored as `oidc`, so the generic OIDC reading applies.
    pub fn from_provider_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.provider_name() == name)
    }

    /// Social (consumer) providers, as opposed to enterprise and local ones.
    pub fn is_social(self) -> bool {
        matches!(
            self,
            ProviderKind::Google
                | ProviderKind::Github
                | ProviderKind::Gitlab
                | ProviderKind::Linkedin
                | ProviderKind::Facebook
                | ProviderKind::Apple
        )
    }
}

/// The root attributes a provider vouched for. `None` means "the provider did not say".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizedAttributes {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
}

impl NormalizedAttributes {
    /// The attributes that have a value, with it, as (attribute, JSON value) pairs.
    pub fn present(&self) -> Vec<(crate::profile::RootAttribute, Value)> {
        use crate::profile::RootAttribute as A;
        let text = |v: &Option<String>| v.as_ref().map(|s| Value::from(s.as_str()));
        [
            (A::Email, text(&self.email)),
            (A::EmailVerified, self.email_verified.map(Value::from)),
            (A::Name, text(&self.name)),
            (A::GivenName, text(&self.given_name)),
            (A::FamilyName, text(&self.family_name)),
            (A::Nickname, text(&self.nickname)),
            (A::Picture, text(&self.picture)),
            (A::Locale, text(&self.locale)),
        ]
        .into_iter()
        .filter_map(|(a, v)| v.map(|v| (a, v)))
        .collect()
    }
}

/// The provider claim an attribute is read from, for provenance (`claim:<connection>:<claim>`).
pub fn source_claim(kind: ProviderKind, attribute: crate::profile::RootAttribute) -> &'static str {
    use crate::profile::RootAttribute as A;
    match (kind, attribute) {
        (ProviderKind::Github, A::Nickname) => "login",
        (ProviderKind::Github, A::Picture) => "avatar_url",
        (ProviderKind::Github, A::Email | A::EmailVerified) => "emails",
        (ProviderKind::Microsoft, A::EmailVerified) => "xms_edov",
        (ProviderKind::Facebook, A::GivenName) => "first_name",
        (ProviderKind::Facebook, A::FamilyName) => "last_name",
        (_, attr) => attr.as_str(),
    }
}

/// Normalizes `raw` (ID-token claims merged with userinfo, or a REST payload) for `kind`.
pub fn normalize(kind: ProviderKind, raw: &Value) -> NormalizedAttributes {
    let mut attrs = match kind {
        ProviderKind::Oidc | ProviderKind::Google | ProviderKind::Gitlab => standard_claims(raw),
        ProviderKind::Microsoft => microsoft(raw),
        ProviderKind::Github => github(raw),
        ProviderKind::Linkedin => linkedin(raw),
        ProviderKind::Facebook => facebook(raw),
        ProviderKind::Apple => apple(raw),
        ProviderKind::Password => NormalizedAttributes {
            email: email(raw.get("email")),
            // A password sign-up proves nothing about the address.
            email_verified: Some(false),
            ..Default::default()
        },
    };
    fill_derived(&mut attrs);
    attrs
}

/// The OpenID Connect standard claims (OIDC Core §5.1).
fn standard_claims(raw: &Value) -> NormalizedAttributes {
    NormalizedAttributes {
        email: email(raw.get("email")),
        email_verified: boolean(raw.get("email_verified")),
        name: text(raw.get("name"), 512),
        given_name: text(raw.get("given_name"), 256),
        family_name: text(raw.get("family_name"), 256),
        nickname: text(raw.get("nickname"), 256).or_else(|| text(raw.get("preferred_username"), 256)),
        picture: picture(raw.get("picture")),
        locale: locale(raw.get("locale")),
    }
}

/// Microsoft Entra ID: `email` is optional and never verified by Microsoft for arbitrary
/// tenants (the nOAuth lesson), so it is not trusted as verified; `preferred_username` is the
/// sign-in name; `picture` points at Graph and needs a token, so it is not usable as an image.
fn microsoft(raw: &Value) -> NormalizedAttributes {
    let mut attrs = standard_claims(raw);
    // Verified only with Entra's "email domain owner verified" optional claim, and only for
    // the `email` claim it is about — never for a `preferred_username` used in its place.
    attrs.email_verified = Some(attrs.email.is_some() && boolean(raw.get("xms_edov")).unwrap_or(false));
    if attrs.email.is_none() {
        attrs.email = email(raw.get("preferred_username"));
    }
    attrs.picture = None;
    attrs.nickname = None;
    attrs
}

/// GitHub's REST `GET /user`, with `GET /user/emails` stored under `emails`.
fn github(raw: &Value) -> NormalizedAttributes {
    // The primary address from /user/emails carries verification; the public `email` on
    // /user does not.
    let primary = raw
        .get("emails")
        .and_then(Value::as_array)
        .and_then(|emails| emails.iter().find(|e| e.get("primary").and_then(Value::as_bool) == Some(true)));
    let (email_addr, verified) = match primary {
        Some(p) => (email(p.get("email")), boolean(p.get("verified"))),
        None => (email(raw.get("email")), Some(false)),
    };
    NormalizedAttributes {
        email: email_addr,
        email_verified: verified,
        name: text(raw.get("name"), 512),
        // GitHub's name is free-form; splitting it into given/family names would be a guess.
        given_name: None,
        family_name: None,
        nickname: text(raw.get("login"), 256),
        picture: picture(raw.get("avatar_url")),
        locale: None,
    }
}

/// Facebook's Graph API `GET /me?fields=id,name,first_name,last_name,email,picture`. `email`
/// is there only when the person granted the `email` permission (and has an address); Facebook
/// says nothing about it being verified, so it is not taken as verified. The picture is
/// `picture.data.url`, unless it is Facebook's silhouette placeholder.
fn facebook(raw: &Value) -> NormalizedAttributes {
    let data = raw.get("picture").and_then(|p| p.get("data"));
    let silhouette = data.and_then(|d| d.get("is_silhouette")).and_then(Value::as_bool).unwrap_or(false);
    NormalizedAttributes {
        email: email(raw.get("email")),
        email_verified: Some(false),
        name: text(raw.get("name"), 512),
        given_name: text(raw.get("first_name"), 256),
        family_name: text(raw.get("last_name"), 256),
        nickname: None,
        picture: if silhouette { None } else { picture(data.and_then(|d| d.get("url"))) },
        locale: None,
    }
}

/// Sign in with Apple: the ID token's claims (`email`, `email_verified` and
/// `is_private_email` as strings or booleans), and the name Apple sends once, on the first
/// sign-in only, in the form it posts back (kept as `given_name` / `family_name` by the
/// callback). A private relay address (`…@privaterelay.appleid.com`) is the person's address
/// here like any other: Apple verified it and forwards to their real one.
fn apple(raw: &Value) -> NormalizedAttributes {
    let mut attrs = standard_claims(raw);
    // Apple's tokens carry no picture, locale or nickname of their own.
    attrs.picture = None;
    attrs.locale = None;
    attrs.nickname = None;
    attrs
}

/// LinkedIn's OpenID Connect userinfo: standard claims, but `locale` may be an object
/// `{"country": "US", "language": "en"}`.
fn linkedin(raw: &Value) -> NormalizedAttributes {
    let mut attrs = standard_claims(raw);
    if let Some(obj) = raw.get("locale").and_then(Value::as_object) {
        let language = obj.get("language").and_then(Value::as_str).unwrap_or_default();
        let country = obj.get("country").and_then(Value::as_str).unwrap_or_default();
        attrs.locale = match (language.is_empty(), country.is_empty()) {
            (true, _) => None,
            (false, true) => locale(Some(&Value::from(language))),
            (false, false) => locale(Some(&Value::from(format!("{language}-{country}")))),
        };
    }
    attrs
}

/// Values derived when the provider left them out, as Auth0 does: `name` from the given and
/// family names (`profile::names`), `nickname` from the email's local part.
fn fill_derived(attrs: &mut NormalizedAttributes) {
    if attrs.name.is_none() {
        attrs.name = crate::profile::names::derived_name(attrs.given_name.as_deref(), attrs.family_name.as_deref());
    }
    if attrs.nickname.is_none() {
        attrs.nickname = attrs.email.as_deref().and_then(|e| e.split('@').next()).map(str::to_string);
    }
}

fn text(value: Option<&Value>, max_chars: usize) -> Option<String> {
    let s = value?.as_str()?.trim();
    if s.is_empty() {
        return None;
    }
    Some(s.chars().take(max_chars).collect())
}

fn email(value: Option<&Value>) -> Option<String> {
    let s = text(value, 320)?;
    // Shape only (one @, something either side); deliverability is the provider's business.
    let (local, domain) = s.split_once('@')?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') || s.contains(char::is_whitespace) {
        return None;
    }
    Some(s)
}

/// Accepts JSON booleans and the strings "true"/"false" (AWS Cognito and some others send
/// strings).
fn boolean(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn picture(value: Option<&Value>) -> Option<String> {
    let s = text(value, 2048)?;
    // Only web URLs: no `data:` or `javascript:` into an <img src>.
    (s.starts_with("https://") || s.starts_with("http://")).then_some(s)
}

fn locale(value: Option<&Value>) -> Option<String> {
    let s = text(value, 35)?.replace('_', "-");
    let valid = s.split('-').all(|part| !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric()));
    valid.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let text = match name {
            "google" => include_str!("fixtures/google.json"),
            "microsoft" => include_str!("fixtures/microsoft.json"),
            "github" => include_str!("fixtures/github.json"),
            "facebook" => include_str!("fixtures/facebook.json"),
            "apple" => include_str!("fixtures/apple.json"),
            "gitlab" => include_str!("fixtures/gitlab.json"),
            "linkedin" => include_str!("fixtures/linkedin.json"),
            "okta" => include_str!("fixtures/okta.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn google_claims_map_one_to_one() {
        let a = normalize(ProviderKind::Google, &fixture("google"));
        assert_eq!(a.email.as_deref(), Some("ada.lovelace@gmail.com"));
        assert_eq!(a.email_verified, Some(true));
        assert_eq!(a.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(a.given_name.as_deref(), Some("Ada"));
        assert_eq!(a.family_name.as_deref(), Some("Lovelace"));
        assert_eq!(a.nickname.as_deref(), Some("ada.lovelace"));
        assert!(a.picture.unwrap().starts_with("https://lh3.googleusercontent.com/"));
        assert_eq!(a.locale.as_deref(), Some("en-GB"));
    }

    #[test]
    fn microsoft_email_is_never_taken_as_verified_and_graph_pictures_are_dropped() {
        let a = normalize(ProviderKind::Microsoft, &fixture("microsoft"));
        assert_eq!(a.email.as_deref(), Some("grace.hopper@contoso.com"));
        assert_eq!(a.email_verified, Some(false));
        assert_eq!(a.given_name.as_deref(), Some("Grace"));
        assert_eq!(a.family_name.as_deref(), Some("Hopper"));
        assert_eq!(a.picture, None);
        assert_eq!(a.nickname.as_deref(), Some("grace.hopper"));
    }

    #[test]
    fn microsoft_falls_back_to_preferred_username_for_the_email() {
        let a = normalize(ProviderKind::Microsoft, &json!({"preferred_username": "kim@fabrikam.com", "name": "Kim"}));
        assert_eq!(a.email.as_deref(), Some("kim@fabrikam.com"));
        assert_eq!(a.email_verified, Some(false));
    }

    #[test]
    fn github_uses_login_avatar_and_the_verified_primary_email() {
        let a = normalize(ProviderKind::Github, &fixture("github"));
        assert_eq!(a.nickname.as_deref(), Some("octocat"));
        assert_eq!(a.name.as_deref(), Some("The Octocat"));
        assert_eq!(a.picture.as_deref(), Some("https://avatars.githubusercontent.com/u/583231?v=4"));
        assert_eq!(a.email.as_deref(), Some("octocat@github.com"));
        assert_eq!(a.email_verified, Some(true));
        assert_eq!(a.given_name, None, "free-form names are not split");
    }

    #[test]
    fn github_without_an_emails_list_keeps_the_public_email_unverified() {
        let a = normalize(ProviderKind::Github, &json!({"login": "x", "email": "x@example.com"}));
        assert_eq!(a.email_verified, Some(false));
    }

    #[test]
    fn facebook_reads_the_graph_me_fields_and_never_vouches_for_the_email() {
        let a = normalize(ProviderKind::Facebook, &fixture("facebook"));
        assert_eq!(a.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(a.given_name.as_deref(), Some("Ada"));
        assert_eq!(a.family_name.as_deref(), Some("Lovelace"));
        assert_eq!(a.email.as_deref(), Some("ada.lovelace@example.com"));
        assert_eq!(a.email_verified, Some(false));
        assert!(a.picture.as_deref().is_some_and(|p| p.starts_with("https://platform-lookaside.fbsbx.com/")));
        // The email permission declined, and the default silhouette: neither is taken.
        let mut declined = fixture("facebook");
        declined.as_object_mut().unwrap().remove("email");
        declined["picture"]["data"]["is_silhouette"] = json!(true);
        let a = normalize(ProviderKind::Facebook, &declined);
        assert_eq!((a.email, a.picture), (None, None));
        assert_eq!(a.nickname, None, "no address to derive one from");
    }

    #[test]
    fn apple_takes_string_booleans_private_relay_addresses_and_the_first_sign_in_name() {
        let raw = fixture("apple");
        let a = normalize(ProviderKind::Apple, &raw);
        assert_eq!(a.email.as_deref(), Some("x7kq2m9p4w@privaterelay.appleid.com"));
        assert_eq!(a.email_verified, Some(true), "Apple says \"true\" as a string");
        assert_eq!(a.name.as_deref(), Some("Ada Lovelace"), "derived from the names Apple sent once");
        // A later sign-in: no name in the token, nothing derived beyond the address.
        let mut later = raw.clone();
        later.as_object_mut().unwrap().retain(|k, _| !k.ends_with("_name"));
        let a = normalize(ProviderKind::Apple, &later);
        assert_eq!((a.given_name, a.family_name), (None, None));
    }

    #[test]
    fn gitlab_uses_the_standard_claims() {
        let a = normalize(ProviderKind::Gitlab, &fixture("gitlab"));
        assert_eq!(a.nickname.as_deref(), Some("linus"));
        assert_eq!(a.email.as_deref(), Some("linus@example.org"));
        assert_eq!(a.email_verified, Some(true));
        assert_eq!(a.name.as_deref(), Some("Linus Example"));
    }

    #[test]
    fn linkedin_locale_objects_become_language_tags() {
        let a = normalize(ProviderKind::Linkedin, &fixture("linkedin"));
        assert_eq!(a.locale.as_deref(), Some("en-US"));
        assert_eq!(a.given_name.as_deref(), Some("Margaret"));
        assert_eq!(a.email_verified, Some(true));
    }

    #[test]
    fn generic_oidc_reads_standard_claims_and_string_booleans() {
        let a = normalize(ProviderKind::Oidc, &fixture("okta"));
        assert_eq!(a.email.as_deref(), Some("alan.turing@example.com"));
        assert_eq!(a.email_verified, Some(true));
        assert_eq!(a.nickname.as_deref(), Some("aturing"));
        assert_eq!(a.locale.as_deref(), Some("en-US"));
        // name derived from given + family when absent
        assert_eq!(a.name.as_deref(), Some("Alan Turing"));
        let b = normalize(ProviderKind::Oidc, &json!({"email": "a@b.c", "email_verified": "false"}));
        assert_eq!(b.email_verified, Some(false));
    }

    #[test]
    fn password_sign_ups_are_unverified() {
        let a = normalize(ProviderKind::Password, &json!({"email": "new@example.com"}));
        assert_eq!(a.email_verified, Some(false));
        assert_eq!(a.nickname.as_deref(), Some("new"));
    }

    #[test]
    fn hostile_or_junk_values_are_dropped() {
        let a = normalize(
            ProviderKind::Oidc,
            &json!({
                "email": "not an email",
                "name": "   ",
                "picture": "javascript:alert(1)",
                "locale": "en US; drop table",
                "given_name": 42,
                "family_name": "x".repeat(1000)
            }),
        );
        assert_eq!(a.email, None);
        assert_eq!(a.picture, None);
        assert_eq!(a.locale, None);
        assert_eq!(a.given_name, None);
        assert_eq!(a.family_name.unwrap().chars().count(), 256);
    }
}
