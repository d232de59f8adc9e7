//! The connector every outbound call goes through: it resolves the host, checks every
//! address it would connect to against the [`OutboundPolicy`], then dials. The check sits
//! here, on the socket addresses, rather than in a DNS resolver alone: an IP-literal host
//! never reaches a resolver, and a name checked once and resolved again later could answer
//! differently (DNS rebinding). The name is resolved once per connection and that very answer
//! is what is dialled.

use std::{
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::Uri;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::address::{OutboundPolicy, Refused};

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Turns a host name into addresses (the system resolver; tests inject their own).
pub trait Resolve: Send + Sync + 'static {
    fn resolve(&self, host: String, port: u16) -> BoxFuture<io::Result<Vec<SocketAddr>>>;
}

/// Opens a TCP connection to one checked address (tests inject one that records instead).
pub trait Dial: Send + Sync + 'static {
    fn dial(&self, addr: SocketAddr) -> BoxFuture<io::Result<TcpStream>>;
}

/// The operating system's resolver (`getaddrinfo`, through tokio).
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: String, port: u16) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), port)).await?.collect()) })
    }
}

/// A plain TCP connection.
pub struct TcpDial;

impl Dial for TcpDial {
    fn dial(&self, addr: SocketAddr) -> BoxFuture<io::Result<TcpStream>> {
        Box::pin(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok(stream)
        })
    }
}

/// A destination the policy refused: the connection was never attempted.
#[derive(Debug, thiserror::Error)]
#[error("refused outbound address {addr}: {}", .refused.reserved.describe())]
pub struct RefusedAddress {
    pub addr: IpAddr,
    pub refused: Refused,
}

/// A `tower::Service<Uri>` for hyper's client (wrapped by the TLS connector for https).
#[derive(Clone)]
pub struct GuardedConnector {
    policy: Arc<OutboundPolicy>,
    resolver: Arc<dyn Resolve>,
    dial: Arc<dyn Dial>,
}

impl GuardedConnector {
    pub fn new(policy: Arc<OutboundPolicy>, resolver: Arc<dyn Resolve>, dial: Arc<dyn Dial>) -> Self {
        Self { policy, resolver, dial }
    }
}

impl tower_service::Service<Uri> for GuardedConnector {
    type Response = TokioIo<TcpStream>;
    type Error = io::Error;
    type Future = BoxFuture<io::Result<TokioIo<TcpStream>>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(uri).await.map(TokioIo::new) })
    }
}

impl GuardedConnector {
    /// A connection whose two ends have the same address reached this host itself — at an
    /// address gained after start-up (a floating IP, a new IPv6 temporary address) that the
    /// policy's list of own addresses does not hold. Closed before a byte is sent.
    fn not_to_itself(&self, stream: TcpStream) -> io::Result<TcpStream> {
        if let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) {
            if peer.ip().to_canonical() == local.ip().to_canonical() {
                if let Err(refused) = self.policy.check_self(peer.ip()) {
                    return Err(io::Error::new(io::ErrorKind::PermissionDenied, RefusedAddress { addr: peer.ip(), refused }));
                }
            }
        }
        Ok(stream)
    }

    async fn connect(&self, uri: Uri) -> io::Result<TcpStream> {
        let host = uri.host().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no host"))?;
        let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
        // An IPv6 literal keeps its brackets in a URI's host.
        let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let addrs = match literal.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => self.resolver.resolve(host.to_string(), port).await?,
        };
        if addrs.is_empty() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "the name has no address"));
        }
        // Every answer is checked before any is dialled: a name with one public and one
        // inside address is refused, not half-used.
        for addr in &addrs {
            if let Err(refused) = self.policy.check_ip(addr.ip()) {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, RefusedAddress { addr: addr.ip(), refused }));
            }
        }
        let mut last = None;
        for addr in addrs {
            match self.dial.dial(addr).await {
                Ok(stream) => return self.not_to_itself(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no address answered")))
    }
}
