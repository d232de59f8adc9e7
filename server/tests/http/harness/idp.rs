//! A small OpenID provider (and a GitHub look-alike) that can misbehave on request: the
//! hostile cases of docs/SECURITY.md. It follows the protocol where the test does not ask
//! otherwise: discovery, JWKS, authorization code with PKCE S256, client_secret_basic,
//! RS256 ID tokens, userinfo.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Json, Router,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use jsonwebtoken::{EncodingKey, Header};
use rsa::{pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts, RsaPrivateKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub struct TestKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Value,
}

/// Three RSA keys, generated once per test process: A (normal), B (rotation), X (forger).
pub fn keys() -> &'static [TestKey; 3] {
    static KEYS: OnceLock<[TestKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let make = |kid: &str| {
            let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
            let der = private.to_pkcs1_der().unwrap();
            let public = private.to_public_key();
            TestKey {
                kid: kid.to_string(),
                encoding: EncodingKey::from_rsa_der(der.as_bytes()),
                jwk: json!({
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                    "n": B64.encode(public.n().to_bytes_be()),
                    "e": B64.encode(public.e().to_bytes_be()),
                }),
            }
        };
        [make("key-a"), make("key-b"), make("key-x")]
    })
}

/// What the provider does wrong this time.
#[derive(Debug, Clone, Default)]
pub struct Misbehaviour {
    pub discovery_issuer: Option<String>,
    pub id_token_issuer: Option<String>,
    pub omit_sub: bool,
    pub omit_iat: bool,
    pub audience: Option<Value>,
    pub azp: Option<String>,
    pub forge_signature: bool,
    pub alg_none: bool,
    pub omit_nonce: bool,
    pub nonce: Option<String>,
    /// Seconds from now; negative = in the past.
    pub exp_offset: Option<i64>,
    /// `iat` this many seconds from now (default: now); positive = issued in the future.
    pub iat_offset: Option<i64>,
    pub userinfo_sub: Option<String>,
    pub at_hash: Option<String>,
    pub include_at_hash: bool,
    pub omit_kid: bool,
    /// Sign with key B (not yet in the JWKS until `publish_b`).
    pub sign_with_b: bool,
    /// Leave RFC 9207's `iss` off the redirect back, even when discovery advertises it.
    pub omit_iss_parameter: bool,
}

#[derive(Default)]
pub struct IdpState {
    pub misbehaviour: Misbehaviour,
    /// Keys in the published JWKS, by index into [`keys`].
    pub published: Vec<usize>,
    /// `Cache-Control` sent with the JWKS (none by default).
    pub jwks_cache_control: Option<String>,
    /// Discovery advertises `authorization_response_iss_parameter_supported` (RFC 9207), and
    /// the redirect back then carries `iss` unless `omit_iss_parameter`.
    pub iss_parameter_supported: bool,
    pub claims: Value,
    pub codes: HashMap<String, AuthRequest>,
    pub jwks_fetches: usize,
    pub userinfo_calls: usize,
    pub authorize_calls: usize,
    pub token_auth_headers: Vec<String>,
    pub code_challenge_methods: Vec<String>,
    /// As Apple: the client secret must be an ES256 JWT signed by this public key (PEM), for
    /// this client and this issuer; and the `response_mode` of each authorization request.
    pub apple_public_key: Option<String>,
    pub apple_audience: String,
    pub response_modes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct AuthRequest {
    pub nonce: Option<String>,
    pub challenge: String,
    pub client_id: String,
}

#[derive(Clone)]
pub struct FakeIdp {
    pub issuer: String,
    pub state: Arc<Mutex<IdpState>>,
}

pub const CLIENT_ID: &str = "askonce-test";
pub const CLIENT_SECRET: &str = "s3cret-test";

impl FakeIdp {
    pub async fn start(claims: Value) -> FakeIdp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let issuer = format!("http://{addr}");
        let state = Arc::new(Mutex::new(IdpState { published: vec![0], claims, ..Default::default() }));
        let idp = FakeIdp { issuer, state };
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            // GitHub's shapes
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(github_token))
            .route("/api/user", get(github_user))
            .route("/api/user/emails", get(github_emails))
            // Facebook's shapes
            .route("/v19.0/dialog/oauth", get(authorize))
            .route("/v19.0/oauth/access_token", post(facebook_token))
            .route("/v19.0/me", get(facebook_me))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        idp
    }

    pub fn misbehave(&self, m: Misbehaviour) {
        self.state.lock().unwrap().misbehaviour = m;
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut IdpState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// The askonce.toml block for this provider as connection `name`.
    pub fn oidc_connection(&self, name: &str) -> String {
        format!(
            "[connections.{name}]\nkind = \"oidc\"\ndisplay_name = \"Test IdP\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n",
            self.issuer
        )
    }

    /// As Sign in with Apple: client secrets are JWTs signed by the test .p8 key.
    pub fn act_as_apple(&self) {
        let issuer = self.issuer.clone();
        self.with(|s| {
            s.apple_public_key = Some(include_str!("../fixtures/apple_test_key.pub.pem").to_string());
            s.apple_audience = issuer;
        });
    }

    pub fn apple_connection(&self, name: &str) -> String {
        format!(
            "[connections.{name}]\nkind = \"apple\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nteam_id = \"TEAM123456\"\nkey_id = \"KEY1234567\"\nprivate_key = \"\"\"\n{}\"\"\"\n",
            self.issuer,
            include_str!("../fixtures/apple_test_key.p8")
        )
    }

    pub fn facebook_connection(&self, name: &str) -> String {
        format!(
            "[connections.{name}]\nkind = \"facebook\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n\
             authorize_url = \"{0}/v19.0/dialog/oauth\"\ntoken_url = \"{0}/v19.0/oauth/access_token\"\ngraph_url = \"{0}/v19.0/\"\n",
            self.issuer
        )
    }

    pub fn github_connection(&self, name: &str) -> String {
        format!(
            "[connections.{name}]\nkind = \"github\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n\
             authorize_url = \"{0}/login/oauth/authorize\"\ntoken_url = \"{0}/login/oauth/access_token\"\napi_url = \"{0}/api/\"\n",
            self.issuer
        )
    }
}

async fn discovery(State(idp): State<FakeIdp>) -> Json<Value> {
    let st = idp.state.lock().unwrap();
    let issuer = st.misbehaviour.discovery_issuer.clone().unwrap_or_else(|| idp.issuer.clone());
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{}/authorize", idp.issuer),
        "token_endpoint": format!("{}/token", idp.issuer),
        "userinfo_endpoint": format!("{}/userinfo", idp.issuer),
        "jwks_uri": format!("{}/jwks", idp.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": st.iss_parameter_supported,
    }))
}

async fn jwks(State(idp): State<FakeIdp>) -> Response {
    let mut st = idp.state.lock().unwrap();
    st.jwks_fetches += 1;
    let keys: Vec<Value> = st.published.iter().map(|&i| keys()[i].jwk.clone()).collect();
    let mut res = Json(json!({ "keys": keys })).into_response();
    if let Some(cache_control) = &st.jwks_cache_control {
        res.headers_mut().insert("cache-control", cache_control.parse().unwrap());
    }
    res
}

async fn authorize(State(idp): State<FakeIdp>, Query(q): Query<HashMap<String, String>>) -> Response {
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    let mut st = idp.state.lock().unwrap();
    st.authorize_calls += 1;
    st.code_challenge_methods.push(q.get("code_challenge_method").cloned().unwrap_or_default());
    st.response_modes.push(q.get("response_mode").cloned().unwrap_or_default());
    let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
    st.codes.insert(
        code.clone(),
        AuthRequest {
            nonce: q.get("nonce").cloned(),
            challenge: q.get("code_challenge").cloned().unwrap_or_default(),
            client_id: q.get("client_id").cloned().unwrap_or_default(),
        },
    );
    let state = q.get("state").cloned().unwrap_or_default();
    let mut back = format!("{redirect_uri}?code={code}&state={state}");
    if st.iss_parameter_supported && !st.misbehaviour.omit_iss_parameter {
        back.push_str("&iss=");
        back.extend(url::form_urlencoded::byte_serialize(idp.issuer.as_bytes()));
    }
    Redirect::to(&back).into_response()
}

fn check_token_request(st: &mut IdpState, headers: &HeaderMap, form: &HashMap<String, String>) -> Result<AuthRequest, Box<Response>> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    st.token_auth_headers.push(auth.clone());
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    let by_post = match &st.apple_public_key {
        // Apple: a JWT the client signed with its .p8 key, naming it (sub) and Apple (aud).
        Some(pem) => form.get("client_secret").is_some_and(|jwt| {
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
            validation.set_audience(&[st.apple_audience.as_str()]);
            validation.set_issuer(&["TEAM123456"]);
            let key = jsonwebtoken::DecodingKey::from_ec_pem(pem.as_bytes()).unwrap();
            jsonwebtoken::decode::<Value>(jwt, &key, &validation).is_ok_and(|t| t.claims["sub"] == CLIENT_ID)
                && jsonwebtoken::decode_header(jwt).is_ok_and(|h| h.kid.as_deref() == Some("KEY1234567"))
        }),
        None => form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET),
    };
    if auth != expected && !by_post {
        return Err((StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response().into());
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(request) = st.codes.remove(&code) else {
        return Err((StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"}))).into_response().into());
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if B64.encode(Sha256::digest(verifier.as_bytes())) != request.challenge {
        return Err((StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant", "error_description": "PKCE"}))).into_response().into());
    }
    Ok(request)
}

async fn token(State(idp): State<FakeIdp>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut st = idp.state.lock().unwrap();
    let request = match check_token_request(&mut st, &headers, &form) {
        Ok(r) => r,
        Err(res) => return *res,
    };
    let m = st.misbehaviour.clone();
    let access_token = format!("at-{}", uuid::Uuid::new_v4().simple());
    let now = chrono::Utc::now().timestamp();
    let mut claims = st.claims.as_object().cloned().unwrap_or_default();
    claims.insert("iss".into(), json!(m.id_token_issuer.clone().unwrap_or_else(|| idp.issuer.clone())));
    claims.insert("aud".into(), m.audience.clone().unwrap_or_else(|| json!(request.client_id)));
    if let Some(azp) = &m.azp {
        claims.insert("azp".into(), json!(azp));
    }
    claims.insert("exp".into(), json!(now + m.exp_offset.unwrap_or(300)));
    if !m.omit_iat {
        claims.insert("iat".into(), json!(now + m.iat_offset.unwrap_or(0)));
    }
    if m.omit_sub {
        claims.remove("sub");
    }
    if !m.omit_nonce {
        if let Some(nonce) = m.nonce.clone().or(request.nonce.clone()) {
            claims.insert("nonce".into(), json!(nonce));
        }
    }
    if m.include_at_hash || m.at_hash.is_some() {
        let digest = Sha256::digest(access_token.as_bytes());
        let real = B64.encode(&digest[..16]);
        claims.insert("at_hash".into(), json!(m.at_hash.clone().unwrap_or(real)));
    }
    let id_token = sign(&Value::Object(claims), &m);
    Json(json!({ "access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": id_token })).into_response()
}

fn sign(claims: &Value, m: &Misbehaviour) -> String {
    if m.alg_none {
        let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = B64.encode(serde_json::to_vec(claims).unwrap());
        return format!("{header}.{payload}.");
    }
    let (key, kid) = if m.forge_signature {
        (&keys()[2].encoding, keys()[0].kid.clone())
    } else if m.sign_with_b {
        (&keys()[1].encoding, keys()[1].kid.clone())
    } else {
        (&keys()[0].encoding, keys()[0].kid.clone())
    };
    let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
    if !m.omit_kid {
        header.kid = Some(kid);
    }
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

async fn userinfo(State(idp): State<FakeIdp>) -> Json<Value> {
    let mut st = idp.state.lock().unwrap();
    st.userinfo_calls += 1;
    let mut claims = st.claims.clone();
    if let Some(sub) = &st.misbehaviour.userinfo_sub {
        claims["sub"] = json!(sub);
    }
    Json(claims)
}

async fn github_token(State(idp): State<FakeIdp>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut st = idp.state.lock().unwrap();
    if let Err(res) = check_token_request(&mut st, &headers, &form) {
        return *res;
    }
    Json(json!({ "access_token": "gho_test", "token_type": "bearer", "scope": "read:user,user:email" })).into_response()
}

async fn github_user(State(idp): State<FakeIdp>, headers: HeaderMap) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer gho_test") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let st = idp.state.lock().unwrap();
    Json(st.claims.clone()).into_response()
}

async fn facebook_token(State(idp): State<FakeIdp>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut st = idp.state.lock().unwrap();
    if let Err(res) = check_token_request(&mut st, &headers, &form) {
        return *res;
    }
    Json(json!({ "access_token": "EAAfb_test", "token_type": "bearer", "expires_in": 5183944 })).into_response()
}

/// Graph `/me`: the token, its `appsecret_proof` and the fields asked are checked as
/// Facebook does; only the fields asked (and present) are returned.
async fn facebook_me(State(idp): State<FakeIdp>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    use hmac::{Hmac, Mac};
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer EAAfb_test") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"type": "OAuthException", "code": 190}}))).into_response();
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(CLIENT_SECRET.as_bytes()).unwrap();
    mac.update(b"EAAfb_test");
    if query.get("appsecret_proof") != Some(&hex::encode(mac.finalize().into_bytes())) {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "Invalid appsecret_proof", "code": 100}}))).into_response();
    }
    let claims = idp.state.lock().unwrap().claims.clone();
    let asked: Vec<String> =
        query.get("fields").map(|f| f.split(',').map(|f| f.split('.').next().unwrap_or(f).to_string()).collect()).unwrap_or_default();
    let mut out = serde_json::Map::new();
    for field in asked {
        if let Some(v) = claims.get(&field) {
            out.insert(field, v.clone());
        }
    }
    Json(Value::Object(out)).into_response()
}

async fn github_emails() -> Json<Value> {
    Json(json!([
        {"email": "octocat@users.noreply.github.com", "primary": false, "verified": true, "visibility": null},
        {"email": "octocat@github.com", "primary": true, "verified": true, "visibility": "private"}
    ]))
}
