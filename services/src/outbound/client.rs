//! The HTTP client for calls made on a site owner's behalf: every connection through the
//! [`GuardedConnector`], no proxy (none is configured on it, so none from the environment
//! either), no redirect followed (hyper's client follows none), a deadline on the whole call
//! and a cap on the reply.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::{
    client::legacy::{connect::Connect, Client},
    rt::TokioExecutor,
};

use super::{
    address::OutboundPolicy,
    connector::{Dial, GuardedConnector, RefusedAddress, Resolve, SystemResolver, TcpDial},
};

/// Why a call gave no answer. The `Display` texts are what API readers and the console see:
/// general on purpose, so a hook's recent calls cannot tell a closed port from a refused
/// address or a failed handshake (the server's log has the cause).
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("not a usable address")]
    BadAddress,
    #[error("could not connect to the address")]
    Unreachable,
    #[error("no answer in time")]
    Timeout,
    #[error("the answer could not be read")]
    Unreadable { status: u16 },
    #[error("reply over {limit} bytes")]
    TooLarge { status: u16, limit: usize },
}

/// The client could not be made (its TLS settings).
#[derive(Debug, thiserror::Error)]
#[error("TLS settings for outbound calls")]
pub struct SetupError(#[source] rustls::Error);

/// A status and, for a 2xx, the body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

type GuardedHttps = hyper_rustls::HttpsConnector<GuardedConnector>;

/// Calls to addresses that people other than the operator chose (hooks, back-channel
/// logout). Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    policy: Arc<OutboundPolicy>,
    client: Client<GuardedHttps, Full<Bytes>>,
    user_agent: HeaderValue,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl Outbound {
    /// The client the server runs with: the system resolver, real TCP, and this host's own
    /// interface addresses refused (as they are at start-up; a warning if they cannot be read).
    pub fn new(policy: OutboundPolicy) -> Result<Self, SetupError> {
        let own = match if_addrs::get_if_addrs() {
            Ok(interfaces) => interfaces.into_iter().map(|i| i.ip()).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read this host's addresses; hooks may call its public ones");
                Vec::new()
            }
        };
        Self::with(policy.with_own_addresses(own), Arc::new(SystemResolver), Arc::new(TcpDial))
    }

    /// The same with another resolver and dialler (the tests' records).
    pub fn with(policy: OutboundPolicy, resolver: Arc<dyn Resolve>, dial: Arc<dyn Dial>) -> Result<Self, SetupError> {
        let policy = Arc::new(policy);
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(SetupError)?
            .https_or_http()
            .enable_http1()
            .wrap_connector(GuardedConnector::new(policy.clone(), resolver, dial));
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(tls);
        let user_agent = HeaderValue::from_static(concat!("AskOnce/", env!("CARGO_PKG_VERSION")));
        Ok(Self { policy, client, user_agent })
    }

    /// The ranges this client may reach, for the checks at save time.
    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    /// POSTs `body` as JSON to `url` with `headers`; the whole call (connecting included)
    /// within `timeout`. A non-2xx answer comes back without its body.
    pub(crate) async fn post_json(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        timeout: Duration,
        max_reply: usize,
    ) -> Result<Reply, OutboundError> {
        self.post(url, "application/json", headers, body, timeout, max_reply).await
    }

    /// POSTs `body` as an HTML form (`application/x-www-form-urlencoded`), as
    /// [`Self::post_json`] does JSON (a back-channel logout token).
    pub(crate) async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        timeout: Duration,
        max_reply: usize,
    ) -> Result<Reply, OutboundError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish().into_bytes();
        self.post(url, "application/x-www-form-urlencoded", &[], body, timeout, max_reply).await
    }

    async fn post(
        &self,
        url: &str,
        content_type: &'static str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        timeout: Duration,
        max_reply: usize,
    ) -> Result<Reply, OutboundError> {
        let uri = to_uri(url).ok_or(OutboundError::BadAddress)?;
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::USER_AGENT, self.user_agent.clone());
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| OutboundError::BadAddress)?;
            request = request.header(name, HeaderValue::from_str(value).map_err(|_| OutboundError::BadAddress)?);
        }
        let request = request.body(Full::new(Bytes::from(body))).map_err(|_| OutboundError::BadAddress)?;
        match tokio::time::timeout(timeout, call(&self.client, request, max_reply)).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout),
        }
    }
}

async fn call<C>(client: &Client<C, Full<Bytes>>, request: Request<Full<Bytes>>, max_reply: usize) -> Result<Reply, OutboundError>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let response = client.request(request).await.map_err(|e| {
        log_cause("outbound call failed", &e);
        OutboundError::Unreachable
    })?;
    let status = response.status().as_u16();
    if !response.status().is_success() {
        return Ok(Reply { status, body: Bytes::new() });
    }
    match Limited::new(response.into_body(), max_reply).collect().await {
        Ok(collected) => Ok(Reply { status, body: collected.to_bytes() }),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(OutboundError::TooLarge { status, limit: max_reply }),
        Err(e) => {
            tracing::warn!(error = %e, "reading an outbound reply failed");
            Err(OutboundError::Unreadable { status })
        }
    }
}

/// The URL as the save-time check read it (WHATWG parsing: `127.1` is 127.0.0.1), so what is
/// dialled is what was checked; http and https only.
fn to_uri(url: &str) -> Option<Uri> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return None;
    }
    parsed.as_str().parse().ok()
}

/// The cause chain in the server's log (a refused address says which range), never the URL.
fn log_cause(what: &str, err: &(dyn std::error::Error + 'static)) {
    let mut causes = Vec::new();
    let mut source = Some(err);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RefusedAddress>() {
            tracing::warn!(address = %refused.addr, range = refused.refused.reserved.describe(), "{what}: the address is not allowed");
            return;
        }
        causes.push(cause.to_string());
        source = cause.source();
    }
    tracing::warn!(cause = %causes.join(": "), "{what}");
}

#[cfg(test)]
mod tests {
    use std::{
        io,
        net::SocketAddr,
        sync::{Arc, Mutex},
    };

    use super::*;
    use crate::outbound::connector::BoxFuture;

    /// Answers every name with fixed addresses, counting the lookups.
    struct FixedResolver {
        answers: Mutex<Vec<Vec<&'static str>>>,
        asked: Mutex<Vec<String>>,
    }

    impl FixedResolver {
        fn new(answers: Vec<Vec<&'static str>>) -> Arc<Self> {
            Arc::new(Self { answers: Mutex::new(answers), asked: Mutex::new(Vec::new()) })
        }
    }

    impl Resolve for FixedResolver {
        fn resolve(&self, host: String, port: u16) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
            self.asked.lock().unwrap().push(host);
            let mut answers = self.answers.lock().unwrap();
            // Each lookup takes the next answer; the last one repeats.
            let answer = if answers.len() > 1 { answers.remove(0) } else { answers[0].clone() };
            let addrs = answer.into_iter().map(|ip| SocketAddr::new(ip.parse().unwrap(), port)).collect();
            Box::pin(async move { Ok(addrs) })
        }
    }

    /// Records where it was asked to connect, and connects nowhere.
    #[derive(Default)]
    struct RecordingDial {
        dialled: Mutex<Vec<SocketAddr>>,
    }

    impl Dial for RecordingDial {
        fn dial(&self, addr: SocketAddr) -> BoxFuture<io::Result<tokio::net::TcpStream>> {
            self.dialled.lock().unwrap().push(addr);
            Box::pin(async { Err(io::Error::new(io::ErrorKind::ConnectionRefused, "recorded, not connected")) })
        }
    }

    fn client(resolver: Arc<FixedResolver>, dial: Arc<RecordingDial>) -> Outbound {
        Outbound::with(OutboundPolicy::default(), resolver, dial).unwrap()
    }

    async fn post(client: &Outbound, url: &str) -> Result<Reply, OutboundError> {
        client.post_json(url, &[], b"{}".to_vec(), Duration::from_secs(5), 1024).await
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_never_dialled() {
        for inside in ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "fd00::1"] {
            let resolver = FixedResolver::new(vec![vec![inside]]);
            let dial = Arc::new(RecordingDial::default());
            let outcome = post(&client(resolver.clone(), dial.clone()), "https://hooks.example.com/x").await;
            assert!(matches!(outcome, Err(OutboundError::Unreachable)), "{inside}: {outcome:?}");
            assert_eq!(resolver.asked.lock().unwrap().as_slice(), ["hooks.example.com"]);
            assert!(dial.dialled.lock().unwrap().is_empty(), "{inside} was dialled");
        }
    }

    #[tokio::test]
    async fn one_inside_answer_among_public_ones_refuses_the_name() {
        let resolver = FixedResolver::new(vec![vec!["93.184.216.34", "127.0.0.1"]]);
        let dial = Arc::new(RecordingDial::default());
        assert!(post(&client(resolver, dial.clone()), "http://hooks.example.com/x").await.is_err());
        assert!(dial.dialled.lock().unwrap().is_empty());
    }

    /// DNS rebinding: the name answered a public address when it was saved (or at the first
    /// call), and an inside one now. Each connection resolves and checks again.
    #[tokio::test]
    async fn a_name_rebound_inside_is_refused_at_the_next_connection() {
        let resolver = FixedResolver::new(vec![vec!["93.184.216.34"], vec!["127.0.0.1"]]);
        let dial = Arc::new(RecordingDial::default());
        let client = client(resolver.clone(), dial.clone());
        assert!(post(&client, "http://rebind.example.com/x").await.is_err(), "the recorder connects nowhere");
        assert!(post(&client, "http://rebind.example.com/x").await.is_err());
        assert_eq!(resolver.asked.lock().unwrap().len(), 2, "resolved at each connection");
        let dialled = dial.dialled.lock().unwrap().clone();
        assert_eq!(dialled, vec!["93.184.216.34:80".parse::<SocketAddr>().unwrap()], "only the public answer was dialled");
    }

    /// IP-literal hosts reach no resolver: the connector checks them itself, in every spelling.
    #[tokio::test]
    async fn literal_addresses_are_checked_without_a_resolver() {
        for url in [
            "http://127.0.0.1:9/",
            "http://127.1:9/",
            "http://0x7f.1:9/",
            "http://2130706433:9/",
            "http://0.0.0.0:9/",
            "http://[::1]:9/",
            "http://[::ffff:127.0.0.1]:9/",
            "http://[64:ff9b::7f00:1]:9/",
            "http://[2002:7f00:1::]:9/",
            "http://169.254.169.254/",
            "http://100.64.0.1/",
            "http://198.18.0.1/",
            "http://[fe80::1]/",
            "https://[fc00::1]/",
        ] {
            let resolver = FixedResolver::new(vec![vec!["93.184.216.34"]]);
            let dial = Arc::new(RecordingDial::default());
            assert!(matches!(post(&client(resolver.clone(), dial.clone()), url).await, Err(OutboundError::Unreachable)), "{url}");
            assert!(resolver.asked.lock().unwrap().is_empty(), "{url}: a literal is not resolved");
            assert!(dial.dialled.lock().unwrap().is_empty(), "{url} was dialled");
        }
        // A public literal is dialled, exactly as written.
        let resolver = FixedResolver::new(vec![vec!["127.0.0.1"]]);
        let dial = Arc::new(RecordingDial::default());
        assert!(post(&client(resolver, dial.clone()), "http://93.184.216.34:8080/").await.is_err());
        assert_eq!(dial.dialled.lock().unwrap().as_slice(), ["93.184.216.34:8080".parse::<SocketAddr>().unwrap()]);
    }

    /// Connects wherever it is asked to a listener on 127.0.0.1: what a connection to one of
    /// the host's own addresses looks like from inside (both ends the same address).
    struct ToThisHost(SocketAddr);

    impl Dial for ToThisHost {
        fn dial(&self, _addr: SocketAddr) -> BoxFuture<io::Result<tokio::net::TcpStream>> {
            let to = self.0;
            Box::pin(async move { tokio::net::TcpStream::connect(to).await })
        }
    }

    /// An address the policy passed (public, or in an allowed range) that turns out to be this
    /// host — a floating IP or a new IPv6 address gained after start-up — is closed before a
    /// byte is sent.
    #[tokio::test]
    async fn a_connection_that_reaches_this_host_is_closed_before_sending() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dial = Arc::new(ToThisHost(listener.local_addr().unwrap()));
        let client = Outbound::with(OutboundPolicy::default(), FixedResolver::new(vec![vec!["93.184.216.34"]]), dial).unwrap();
        let outcome = post(&client, "http://hooks.example.com/x").await;
        assert!(matches!(outcome, Err(OutboundError::Unreachable)), "{outcome:?}");
        let (mut accepted, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        accepted.read_to_end(&mut received).await.unwrap();
        assert!(received.is_empty(), "nothing was sent: {}", String::from_utf8_lossy(&received));
    }

    #[tokio::test]
    async fn only_http_and_https_urls_are_called() {
        let client = client(FixedResolver::new(vec![vec!["93.184.216.34"]]), Arc::new(RecordingDial::default()));
        for url in ["ftp://example.com/", "file:///etc/passwd", "http://4294967296/", "not a url"] {
            assert!(matches!(post(&client, url).await, Err(OutboundError::BadAddress)), "{url}");
        }
    }
}
