//! ApiClientService: the REST client for the profile server.
//!
//! Every request has a connect and a total timeout, follows no redirects and carries the bearer
//! token (which never appears in logs or errors). Failures are typed so the synchronizer can
//! tell a server that is away from one that said no. Knows nothing of the database.

use crate::domain::{Etag, Fields, ServerProfile, check_web_url};
use profile_protocol::{ErrorBody, PhotoId, ProfileWire, PutBody};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The event stream has no total timeout (it is meant to stay open) but must hear something —
/// an event or the server's keep-alive, sent every 15 s — at least this often.
pub const EVENT_READ_TIMEOUT: Duration = Duration::from_secs(45);
/// An event larger than this is refused (a profile is far smaller).
const MAX_EVENT_BYTES: usize = 64 * 1024;

/// What a PUT asserts about the server's current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-None-Match: *`: there is no profile yet.
    Create,
    /// `If-Match: "<tag>"`: the profile is still in the state with this tag.
    Matches(Etag),
    /// The profile is still in a state whose tag is not known (it was recorded before states
    /// had tags). Sent as an `If-Match` that names no state, so the server refuses it with its
    /// current copy (412) and the edit is merged with that.
    Untagged,
}

/// The tag sent for [`Precondition::Untagged`]. The server's tags are `<version>-<hex>`, so it
/// matches none of them.
const NO_STATE: &str = "\"none\"";

/// The answer to a GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Profile(ServerProfile),
    /// 304: the server still holds the state we named.
    NotModified,
    /// 404: the server has no profile yet.
    NotFound,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// No answer came: `cause` says why, `detail` is the whole chain of errors, for the log.
    #[error("the server cannot be reached ({detail})")]
    Unreachable {
        cause: UnreachableCause,
        detail: String,
    },
    #[error("the server did not answer in time")]
    Timeout,
    /// TLS refused the server's certificate: not a network problem, and retrying at the
    /// offline pace will not fix it.
    #[error("the server's certificate is not trusted by this computer ({0})")]
    Untrusted(String),
    #[error("the server holds another version ({})", .0.version)]
    Conflict(Box<ServerProfile>),
    #[error("the server has no profile to update (it was emptied or replaced)")]
    NoProfile,
    /// The profile refers to a photo the server does not hold: it must be uploaded first.
    #[error("the server does not have the profile's photo")]
    PhotoMissing,
    /// 401: the token is missing, wrong, or its device was signed out (revoked).
    #[error("signed out: {0}")]
    SignedOut(String),
    #[error("the server refused the request ({status}): {reason}")]
    Rejected { status: u16, reason: String },
    #[error("the server failed ({status}): {reason}")]
    ServerFailure {
        status: u16,
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("the server sent something unexpected: {0}")]
    Protocol(String),
}

impl ApiError {
    /// `true` for failures that may go away by themselves, so retrying later makes sense.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Unreachable { .. }
            | ApiError::Timeout
            | ApiError::ServerFailure { .. }
            | ApiError::Untrusted(_)
            | ApiError::Protocol(_) => true,
            ApiError::Rejected { status, .. } => *status == 408 || *status == 429,
            ApiError::Conflict(_)
            | ApiError::NoProfile
            | ApiError::PhotoMissing
            | ApiError::SignedOut(_) => false,
        }
    }

    /// Why the server could not be reached (its `Display` says it in a few words: "connection
    /// refused"). `None` for other errors.
    pub fn unreachable_cause(&self) -> Option<&UnreachableCause> {
        match self {
            ApiError::Unreachable { cause, .. } => Some(cause),
            _ => None,
        }
    }

    /// `true` when the server could not be talked to at all (the app is offline).
    pub fn is_offline(&self) -> bool {
        matches!(self, ApiError::Unreachable { .. } | ApiError::Timeout)
    }

    /// How long the server asked us to wait (`Retry-After` on 429 and 503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::ServerFailure { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Why a server could not be reached, as the failure's own type says (an `io::ErrorKind`), never
/// read from its wording. Its `Display` is a few words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnreachableCause {
    /// Nothing accepted the connection: no server listens there, or a firewall refused it.
    Refused,
    /// The connection was reset or aborted while it was in use.
    Reset,
    /// The system gave up connecting before our own timeout did.
    TimedOut,
    /// There is no route to the server's host.
    HostUnreachable,
    /// There is no route to the server's network.
    NetworkUnreachable,
    /// This computer's network is down.
    NetworkDown,
    /// The connection ended before the answer did.
    Closed,
    /// Anything else (a name that does not resolve, a TLS failure other than trust), in the
    /// words of the innermost error.
    Other(String),
}

impl UnreachableCause {
    /// The cause an I/O error of `kind` stands for, if it is one of those above.
    fn of_io(kind: std::io::ErrorKind) -> Option<Self> {
        use std::io::ErrorKind;
        Some(match kind {
            ErrorKind::ConnectionRefused => UnreachableCause::Refused,
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => UnreachableCause::Reset,
            ErrorKind::TimedOut => UnreachableCause::TimedOut,
            ErrorKind::HostUnreachable => UnreachableCause::HostUnreachable,
            ErrorKind::NetworkUnreachable => UnreachableCause::NetworkUnreachable,
            ErrorKind::NetworkDown => UnreachableCause::NetworkDown,
            ErrorKind::UnexpectedEof | ErrorKind::BrokenPipe | ErrorKind::NotConnected => {
                UnreachableCause::Closed
            }
            _ => return None,
        })
    }
}

impl fmt::Display for UnreachableCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnreachableCause::Refused => "connection refused",
            UnreachableCause::Reset => "connection reset",
            UnreachableCause::TimedOut => "timed out",
            UnreachableCause::HostUnreachable => "host unreachable",
            UnreachableCause::NetworkUnreachable => "network unreachable",
            UnreachableCause::NetworkDown => "network down",
            UnreachableCause::Closed => "the connection was closed",
            UnreachableCause::Other(words) => words,
        })
    }
}

/// The body of `response`, at most `max_bytes` (refused as soon as it says or turns out to be
/// longer); `broken` names a failure while it comes.
async fn read_bounded(
    response: reqwest::Response,
    max_bytes: usize,
    broken: fn(reqwest::Error) -> ApiError,
) -> Result<Vec<u8>, DownloadError> {
    use futures::StreamExt;
    let too_large = DownloadError::TooLarge { max_bytes };
    if response
        .content_length()
        .is_some_and(|length| length > max_bytes as u64)
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(broken)?;
        if body.len() + chunk.len() > max_bytes {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A download that did not complete.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DownloadError {
    #[error("it is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: usize },
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// The host (and port, and path) of a server URL, for people: `https://profiles.example.com/`
/// → `profiles.example.com`.
pub fn host(server: &str) -> &str {
    server
        .split_once("://")
        .map_or(server, |(_, rest)| rest)
        .trim_end_matches('/')
}

/// A rejected server URL.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the server URL \"{url}\" {reason}")]
pub struct UrlError {
    url: String,
    reason: String,
}

#[derive(Clone)]
pub struct ApiClientService {
    http: reqwest::Client,
    events_http: reqwest::Client,
    base: url::Url,
    token: Option<Arc<str>>,
}

impl fmt::Debug for ApiClientService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClientService")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ApiClientService {
    /// A client for the server at `base` (`https://`, or `http://` to a loopback host only).
    pub fn new(base: &str, token: Option<String>) -> Result<Self, UrlError> {
        let invalid = |reason: String| UrlError {
            url: base.to_owned(),
            reason,
        };
        let mut url = url::Url::parse(base.trim())
            .map_err(|e| invalid(format!("is not a valid absolute URL ({e})")))?;
        check_web_url(&url).map_err(|e| invalid(e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "must not contain credentials; pass the token with --token".into(),
            ));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        // Every client: a connect timeout, no redirects. Requests also have a total timeout;
        // the event stream, meant to stay open, a read timeout instead.
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("offline-profile/", env!("CARGO_PKG_VERSION")))
        };
        let unusable = |e: reqwest::Error| invalid(format!("cannot be used: {e}"));
        let http = builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(unusable)?;
        let events_http = builder()
            .read_timeout(EVENT_READ_TIMEOUT)
            .build()
            .map_err(unusable)?;
        Ok(Self {
            http,
            events_http,
            base: url,
            token: token.filter(|t| !t.is_empty()).map(Arc::from),
        })
    }

    pub fn base_url(&self) -> &url::Url {
        &self.base
    }

    fn url(&self, path: &str) -> url::Url {
        self.base.join(path).expect("static paths join")
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.authorized(self.http.request(method, self.url(path)))
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// `GET /v1/profile`, with `If-None-Match` when we already hold the state tagged `known`.
    pub async fn get_profile(&self, known: Option<&Etag>) -> Result<Fetched, ApiError> {
        let mut request = self.request(reqwest::Method::GET, "v1/profile");
        if let Some(known) = known {
            request = request.header(header::IF_NONE_MATCH, etag(known)?);
        }
        let response = send(request).await?;
        match response.status() {
            StatusCode::OK => Ok(Fetched::Profile(self.read_profile(response).await?)),
            StatusCode::NOT_MODIFIED => Ok(Fetched::NotModified),
            StatusCode::NOT_FOUND => Ok(Fetched::NotFound),
            _ => Err(status_error(response).await),
        }
    }

    /// `PUT /v1/profile` under `precondition`. A 412 comes back as [`ApiError::Conflict`] with
    /// the server's current copy.
    pub async fn put_profile(
        &self,
        fields: &Fields,
        precondition: Precondition,
    ) -> Result<ServerProfile, ApiError> {
        let (name, value) = match precondition {
            Precondition::Create => (header::IF_NONE_MATCH, HeaderValue::from_static("*")),
            Precondition::Matches(tag) => (header::IF_MATCH, etag(&tag)?),
            Precondition::Untagged => (header::IF_MATCH, HeaderValue::from_static(NO_STATE)),
        };
        let body = PutBody::from(fields);
        let request = self
            .request(reqwest::Method::PUT, "v1/profile")
            .header(name, value)
            .json(&body);
        let response = send(request).await?;
        match response.status() {
            StatusCode::OK | StatusCode::CREATED => self.read_profile(response).await,
            // 412 comes with the current profile, or, when there is none, with an error body.
            StatusCode::PRECONDITION_FAILED => {
                let bytes = response.bytes().await.map_err(transport_error)?;
                match serde_json::from_slice::<ProfileWire>(&bytes) {
                    Ok(wire) => Err(ApiError::Conflict(Box::new(ServerProfile::from_wire(
                        wire,
                        self.base.as_str(),
                    )))),
                    Err(_) if serde_json::from_slice::<ErrorBody>(&bytes).is_ok() => {
                        Err(ApiError::NoProfile)
                    }
                    Err(e) => Err(ApiError::Protocol(format!(
                        "the profile is not valid JSON ({e})"
                    ))),
                }
            }
            _ => Err(status_error(response).await),
        }
    }
}

impl ApiClientService {
    /// `PUT /v1/photos/{sha256}`: sends a photo (201 new, 200 already there: both are done).
    pub async fn put_photo(&self, id: &PhotoId, jpeg: Vec<u8>) -> Result<(), ApiError> {
        let request = self
            .request(reqwest::Method::PUT, &format!("v1/photos/{id}"))
            .header(header::CONTENT_TYPE, "image/jpeg")
            .body(jpeg);
        let response = send(request).await?;
        match response.status() {
            StatusCode::OK | StatusCode::CREATED => Ok(()),
            _ => Err(status_error(response).await),
        }
    }

    /// `GET /v1/photos/{sha256}`: the photo's bytes, checked against its name (a download cut
    /// short or altered on the way is refused, never kept).
    pub async fn get_photo(&self, id: &PhotoId) -> Result<Vec<u8>, ApiError> {
        let response = send(self.request(reqwest::Method::GET, &format!("v1/photos/{id}"))).await?;
        if response.status() != StatusCode::OK {
            return Err(status_error(response).await);
        }
        let body = match read_bounded(response, profile_protocol::PHOTO_MAX_BYTES, cut_short).await
        {
            Ok(body) => body,
            Err(DownloadError::Api(error)) => return Err(error),
            Err(DownloadError::TooLarge { .. }) => {
                return Err(ApiError::Protocol(format!(
                    "the photo {} is larger than a photo can be",
                    id.short()
                )));
            }
        };
        if PhotoId::of(&body) != *id {
            return Err(ApiError::Protocol(format!(
                "the photo {} arrived with other bytes than its name says ({} bytes; cut short?)",
                id.short(),
                body.len()
            )));
        }
        Ok(body)
    }
}

/// A device token just issued by `POST /v1/sessions`.
pub use profile_protocol::SignedIn;

/// Why signing in did not work, worded for the field that caused it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("the email or the password is wrong")]
    WrongCredentials,
    #[error("too many failed sign-ins; try again in {} s", .0.as_secs().max(1))]
    TooManyAttempts(Duration),
    #[error("the server refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Api(ApiError),
}

/// One of the account's signed-in devices (`GET /v1/devices`).
pub use profile_protocol::Device;

/// The accounts part of the API: signing in and out, and the account's devices.
impl ApiClientService {
    /// `POST /v1/sessions`: signs this computer in as a new device of the account.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        device_name: &str,
    ) -> Result<SignedIn, SignInError> {
        let body = profile_protocol::SignIn {
            email: email.to_owned(),
            password: password.to_owned(),
            device_name: device_name.to_owned(),
        };
        let request = self.http.post(self.url("v1/sessions")).json(&body);
        let response = send(request).await.map_err(SignInError::Api)?;
        if response.status() == StatusCode::CREATED {
            return response
                .json::<SignedIn>()
                .await
                .map_err(|e| SignInError::Api(ApiError::Protocol(e.to_string())));
        }
        Err(match status_error(response).await {
            ApiError::SignedOut(_) => SignInError::WrongCredentials,
            ApiError::ServerFailure {
                status: 429,
                retry_after,
                ..
            } => SignInError::TooManyAttempts(retry_after.unwrap_or(Duration::from_secs(60))),
            ApiError::Rejected { reason, .. } => SignInError::Refused(reason),
            other => SignInError::Api(other),
        })
    }

    /// `DELETE /v1/sessions/current`: signs this device out on the server.
    pub async fn sign_out(&self) -> Result<(), ApiError> {
        let response = send(self.request(reqwest::Method::DELETE, "v1/sessions/current")).await?;
        done_or_error(response).await
    }

    /// `GET /v1/devices`: the account's signed-in devices.
    pub async fn devices(&self) -> Result<Vec<Device>, ApiError> {
        let response = send(self.request(reqwest::Method::GET, "v1/devices")).await?;
        if response.status() != StatusCode::OK {
            return Err(status_error(response).await);
        }
        let list: profile_protocol::DeviceList = response
            .json()
            .await
            .map_err(|e| ApiError::Protocol(format!("the device list is not valid ({e})")))?;
        Ok(list.devices)
    }

    /// `DELETE /v1/devices/{id}`: signs one of the account's devices out.
    pub async fn revoke_device(&self, id: &str) -> Result<(), ApiError> {
        let mut url = self.url("v1/devices/");
        url.path_segments_mut()
            .map_err(|()| ApiError::Protocol("the server URL cannot take a path".into()))?
            .pop_if_empty()
            .push(id);
        let response = send(self.authorized(self.http.delete(url))).await?;
        done_or_error(response).await
    }
}

/// A request with nothing to answer went through (204 or 200), or the server's error.
async fn done_or_error(response: reqwest::Response) -> Result<(), ApiError> {
    match response.status() {
        StatusCode::NO_CONTENT | StatusCode::OK => Ok(()),
        _ => Err(status_error(response).await),
    }
}

impl ApiClientService {
    /// Downloads the photo at `url` (already checked by the caller), at most `max_bytes`. The
    /// bearer token is never sent to a photo host.
    pub async fn fetch_image(
        &self,
        url: &url::Url,
        max_bytes: usize,
    ) -> Result<Vec<u8>, DownloadError> {
        let response = send(self.http.get(url.clone())).await?;
        if !response.status().is_success() {
            return Err(status_error(response).await.into());
        }
        read_bounded(response, max_bytes, transport_error).await
    }

    /// `GET /v1/profile/events`: connects to the server's event stream and yields the profile
    /// each time the server announces it (at once, then on every change). The stream ends with
    /// an error when the connection breaks.
    pub async fn events(
        &self,
    ) -> Result<impl futures::Stream<Item = Result<ServerProfile, ApiError>> + Send + use<>, ApiError>
    {
        let response = send(
            self.authorized(self.events_http.get(self.url("v1/profile/events")))
                .header(header::ACCEPT, "text/event-stream"),
        )
        .await?;
        if !response.status().is_success() {
            return Err(status_error(response).await);
        }
        let bytes = response.bytes_stream();
        let parser = EventParser {
            server: self.base.to_string(),
            ..EventParser::default()
        };
        Ok(futures::stream::unfold(
            (Box::pin(bytes), parser, false),
            |(mut bytes, mut parser, done)| async move {
                use futures::StreamExt;
                if done {
                    return None;
                }
                loop {
                    if let Some(event) = parser.next_event() {
                        return Some((event, (bytes, parser, false)));
                    }
                    match bytes.next().await {
                        Some(Ok(chunk)) => {
                            if let Err(error) = parser.push(&chunk) {
                                return Some((Err(error), (bytes, parser, true)));
                            }
                        }
                        Some(Err(error)) => {
                            return Some((Err(transport_error(error)), (bytes, parser, true)));
                        }
                        None => {
                            let closed = ApiError::Unreachable {
                                cause: UnreachableCause::Closed,
                                detail: "the event stream was closed".into(),
                            };
                            return Some((Err(closed), (bytes, parser, true)));
                        }
                    }
                }
            },
        ))
    }
}

/// A minimal `text/event-stream` parser: collects `event:` and `data:` lines until a blank
/// line, and turns `profile` events into profiles. Comments (keep-alives) are skipped. Lines end
/// with LF, CRLF or a lone CR, as the format allows. Hand-written: it is small, and the client
/// needs only this much of the format.
#[derive(Default)]
struct EventParser {
    buffer: Vec<u8>,
    event: String,
    data: String,
    /// The last line ended with CR: a LF right after it belongs to the same line break.
    after_cr: bool,
    /// The server the events come from.
    server: String,
}

impl EventParser {
    fn push(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        self.buffer.extend_from_slice(chunk);
        if self.buffer.len() > MAX_EVENT_BYTES {
            return Err(ApiError::Protocol("an event is too large".into()));
        }
        Ok(())
    }

    /// The next complete line, without its line break.
    fn next_line(&mut self) -> Option<String> {
        if self.after_cr && !self.buffer.is_empty() {
            if self.buffer[0] == b'\n' {
                self.buffer.drain(..1);
            }
            self.after_cr = false;
        }
        let end = self.buffer.iter().position(|&b| b == b'\n' || b == b'\r')?;
        let line = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
        self.after_cr = self.buffer[end] == b'\r';
        self.buffer.drain(..=end);
        Some(line)
    }

    fn next_event(&mut self) -> Option<Result<ServerProfile, ApiError>> {
        while let Some(line) = self.next_line() {
            if line.is_empty() {
                let event = std::mem::take(&mut self.event);
                let data = std::mem::take(&mut self.data);
                if (event.is_empty() || event == "profile") && !data.is_empty() {
                    return Some(
                        serde_json::from_str::<ProfileWire>(&data)
                            .map(|wire| ServerProfile::from_wire(wire, &self.server))
                            .map_err(|e| {
                                ApiError::Protocol(format!("a pushed profile is not valid ({e})"))
                            }),
                    );
                }
            } else if let Some(value) = line.strip_prefix("event:") {
                self.event = value.trim().to_owned();
            } else if let Some(value) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(value.strip_prefix(' ').unwrap_or(value));
            }
        }
        None
    }
}

/// Sends `request`, once more at once if an open connection broke under it (a kept-alive
/// connection the network or a proxy dropped meanwhile, a reset): that says nothing about the
/// server, and every request here is safe to repeat (GETs, and PUTs under a precondition whose
/// repeat the server answers without a second write). A refused connection or a timeout is not
/// retried here: the scheduler's backoff deals with those.
async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, ApiError> {
    let retry = request.try_clone();
    match request.send().await {
        Err(error) if !error.is_connect() && !error.is_timeout() => match retry {
            Some(retry) => {
                tracing::debug!(error = %error.without_url(), "a connection broke; sending again");
                retry.send().await.map_err(transport_error)
            }
            None => Err(transport_error(error)),
        },
        result => result.map_err(transport_error),
    }
}

/// A state's tag as a header value (a tag the server sent that is no valid header is its error).
fn etag(tag: &Etag) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&profile_protocol::quoted(tag.as_str()))
        .map_err(|_| ApiError::Protocol(format!("the server sent an unusable ETag {tag:?}")))
}

impl ApiClientService {
    async fn read_profile(&self, response: reqwest::Response) -> Result<ServerProfile, ApiError> {
        let bytes = response.bytes().await.map_err(transport_error)?;
        let wire: ProfileWire = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::Protocol(format!("the profile is not valid JSON ({e})")))?;
        Ok(ServerProfile::from_wire(wire, self.base.as_str()))
    }
}

async fn status_error(response: reqwest::Response) -> ApiError {
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = match response.bytes().await {
        Ok(bytes) => serde_json::from_slice::<ErrorBody>(&bytes).ok(),
        Err(error) => return transport_error(error),
    };
    if body
        .as_ref()
        .is_some_and(|body| body.code.as_deref() == Some(profile_protocol::PHOTO_MISSING))
    {
        return ApiError::PhotoMissing;
    }
    let reason = body.map_or_else(
        || {
            status
                .canonical_reason()
                .unwrap_or("unknown status")
                .to_owned()
        },
        |body| body.error,
    );
    // 507: the account keeps as many photos as the server allows. Trying again will not help
    // until the user's older photos have gone: a refusal, not a failure.
    if status == StatusCode::INSUFFICIENT_STORAGE {
        ApiError::Rejected {
            status: status.as_u16(),
            reason,
        }
    } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        ApiError::ServerFailure {
            status: status.as_u16(),
            reason,
            retry_after,
        }
    } else if status == StatusCode::UNAUTHORIZED {
        ApiError::SignedOut(reason)
    } else if status.is_client_error() {
        ApiError::Rejected {
            status: status.as_u16(),
            reason,
        }
    } else {
        ApiError::Protocol(format!("unexpected status {status}"))
    }
}

/// A body that stopped coming before its end: the connection ended (a network that went away,
/// a proxy that cut it), not a server that said something wrong.
fn cut_short(error: reqwest::Error) -> ApiError {
    if error.is_timeout() {
        return ApiError::Timeout;
    }
    let error = error.without_url();
    let detail = chain(&error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    ApiError::Unreachable {
        cause: UnreachableCause::Closed,
        detail,
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn transport_error(error: reqwest::Error) -> ApiError {
    if error.is_timeout() {
        return ApiError::Timeout;
    }
    // The chain of sources says what actually happened ("connection refused"); the URL is ours
    // and carries no secret.
    let is_decode = error.is_decode();
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        detail.push_str(": ");
        detail.push_str(&inner.to_string());
        source = inner.source();
    }
    if is_decode {
        return ApiError::Protocol(detail);
    }
    match classify(&error) {
        Failure::Untrusted(why) => ApiError::Untrusted(why),
        Failure::Unreachable(cause) => ApiError::Unreachable { cause, detail },
    }
}

/// What a failed exchange with the server was, found by the types in its chain of errors.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// TLS refused the server's certificate; why, in rustls's words.
    Untrusted(String),
    Unreachable(UnreachableCause),
}

/// Looks through `error`'s chain, outermost first, for a certificate TLS refused or an I/O
/// error of a kind that says why the server cannot be reached; failing both, the innermost
/// error's words.
fn classify(error: &(dyn std::error::Error + 'static)) -> Failure {
    let mut innermost = error;
    for link in chain(error) {
        if let Some(tls) = link.downcast_ref::<rustls::Error>() {
            match tls {
                rustls::Error::InvalidCertificate(why) => {
                    return Failure::Untrusted(why.to_string());
                }
                rustls::Error::NoCertificatesPresented
                | rustls::Error::InvalidCertRevocationList(_) => {
                    return Failure::Untrusted(tls.to_string());
                }
                _ => {}
            }
        }
        let io = link.downcast_ref::<std::io::Error>();
        if let Some(cause) = io.and_then(|io| UnreachableCause::of_io(io.kind())) {
            return Failure::Unreachable(cause);
        }
        innermost = link;
    }
    let words = match innermost.downcast_ref::<std::io::Error>() {
        // An error of the system: its kind's words ("permission denied"), not its number.
        Some(io) if io.raw_os_error().is_some() => io.kind().to_string(),
        _ => innermost.to_string(),
    };
    Failure::Unreachable(UnreachableCause::Other(words))
}

/// `error` and every error under it, outermost first. An `io::Error` that wraps an error gives
/// that error's source as its own, skipping the wrapped error itself (where TLS puts its
/// `rustls::Error`), so the walk steps into the wrapped error instead.
fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |&link| {
        match link
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(wrapped) => Some(wrapped as &(dyn std::error::Error + 'static)),
            None => link.source(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a message and a source, as hyper and reqwest wrap the ones under them.
    #[derive(Debug)]
    struct Context(&'static str, Box<dyn std::error::Error + Send + Sync>);

    impl fmt::Display for Context {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Context {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&*self.1)
        }
    }

    #[test]
    fn the_cause_of_an_unreachable_server_is_its_innermost_reason() {
        use std::io::{Error, ErrorKind};
        // As reqwest reports a refused connection: the OS error under two layers.
        let refused = Context(
            "client error (Connect)",
            Box::new(Context(
                "tcp connect error",
                Box::new(Error::from(ErrorKind::ConnectionRefused)),
            )),
        );
        assert_eq!(
            classify(&refused),
            Failure::Unreachable(UnreachableCause::Refused)
        );
        let reset = Context(
            "connection error",
            Box::new(Error::from(ErrorKind::ConnectionReset)),
        );
        assert_eq!(
            classify(&reset),
            Failure::Unreachable(UnreachableCause::Reset)
        );
        // A name that does not resolve has no kind of its own: the innermost words are kept.
        let dns = Context(
            "dns error",
            Box::new(Error::other("failed to lookup address information")),
        );
        assert_eq!(
            classify(&dns),
            Failure::Unreachable(UnreachableCause::Other(
                "failed to lookup address information".into()
            ))
        );

        let error = ApiError::Unreachable {
            cause: UnreachableCause::Refused,
            detail: "error sending request: client error (Connect): tcp connect error: \
                     Connection refused (os error 111)"
                .into(),
        };
        assert_eq!(error.unreachable_cause(), Some(&UnreachableCause::Refused));
        assert_eq!(
            error.unreachable_cause().unwrap().to_string(),
            "connection refused"
        );
        assert_eq!(ApiError::Timeout.unreachable_cause(), None);
        assert_eq!(
            host("https://profiles.example.com/"),
            "profiles.example.com"
        );
        assert_eq!(host("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }

    #[test]
    fn a_certificate_tls_refused_is_found_inside_the_io_errors_that_wrap_it() {
        use std::io::{Error, ErrorKind};
        // As tokio-rustls and reqwest's connector report it: an `io::Error` wrapping one that
        // wraps the `rustls::Error`, whose `source()` skips that error.
        let untrusted = Context(
            "client error (Connect)",
            Box::new(Error::other(Error::new(
                ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            ))),
        );
        assert_eq!(
            classify(&untrusted),
            Failure::Untrusted("UnknownIssuer".into())
        );
        // Another TLS failure is no question of trust: the server is not reached.
        let refused_by_peer = Context(
            "client error (Connect)",
            Box::new(Error::new(
                ErrorKind::InvalidData,
                rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
            )),
        );
        assert_eq!(
            classify(&refused_by_peer),
            Failure::Unreachable(UnreachableCause::Other(
                "received fatal alert: HandshakeFailure".into()
            ))
        );
    }

    #[test]
    fn the_event_parser_handles_split_chunks_and_keep_alives() {
        let mut parser = EventParser::default();
        let text = ": keep-alive\n\nevent: profile\nid: 3\ndata: {\"name\":\"Ada\",\"photo_url\":\"\",\"version\":3,\"updated_at\":\"2026-01-01T00:00:00Z\",\"etag\":\"3-a\",\"store\":\"s\"}\n\n";
        let (a, b) = text.as_bytes().split_at(40);
        parser.push(a).unwrap();
        assert!(parser.next_event().is_none());
        parser.push(b).unwrap();
        let profile = parser.next_event().unwrap().unwrap();
        assert_eq!((profile.fields.name.as_str(), profile.version), ("Ada", 3));
        assert!(parser.next_event().is_none());
    }

    const ADA: &str = r#"{"name":"Ada","photo_url":"","version":3,"updated_at":"2026-01-01T00:00:00Z","etag":"3-a","store":"s"}"#;

    fn events(chunks: &[&str]) -> Vec<ServerProfile> {
        let mut parser = EventParser::default();
        let mut found = Vec::new();
        for chunk in chunks {
            parser.push(chunk.as_bytes()).unwrap();
            while let Some(event) = parser.next_event() {
                found.push(event.unwrap());
            }
        }
        found
    }

    #[test]
    fn the_event_parser_accepts_cr_only_and_crlf_line_endings() {
        let cr = format!("event: profile\rid: 3\rdata: {ADA}\r\r");
        assert_eq!(events(&[&cr]).len(), 1);
        let crlf = format!("event: profile\r\ndata: {ADA}\r\n\r\n");
        assert_eq!(events(&[&crlf]).len(), 1);
        // A CRLF split between two chunks is one line break, not two (which would end the
        // event early).
        let (a, b) = crlf.split_at(crlf.find('\n').unwrap());
        assert_eq!(events(&[a, b]).len(), 1);
    }

    #[test]
    fn the_event_parser_joins_multi_line_data() {
        let text = "event: profile\ndata: {\"name\":\"Ada\",\ndata: \"photo_url\":\"\",\"version\":4,\ndata: \"updated_at\":\"2026-01-01T00:00:00Z\",\"etag\":\"3-a\",\"store\":\"s\"}\n\n";
        let found = events(&[text]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].version, 4);
    }

    #[test]
    fn events_of_other_types_are_skipped() {
        let text = format!("event: ping\ndata: {{}}\n\nevent: profile\ndata: {ADA}\n\n");
        assert_eq!(events(&[&text]).len(), 1);
    }
}
