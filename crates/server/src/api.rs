//! The HTTP surface: routes, the bearer-token guard, preconditions, and one error type that
//! turns every failure into a status and a JSON `{"error": ...}` that says why.

use super::AppState;
use crate::accounts::Caller;
use crate::store::{DEFAULT_USER, Edit, Precondition, PutOutcome};
use axum::Extension;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::Stream;
use profile_protocol::{ErrorBody, EtagList, ProfileWire, PutBody, parse_etags, validate};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Requests whose headers add up to more than this are refused with 431.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// A request that takes longer than this to answer gets 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The event stream sends a comment at least this often so idle connections stay open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// A connection that has not sent a request's headers within this time is closed; so is a
/// kept-alive connection idle that long.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The whole server: `/health` and the token-guarded `/v1` routes.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/profile", get(get_profile).put(put_profile))
        .route("/profile/events", get(events))
        .route(
            "/photos/{sha256}",
            get(crate::photo_routes::get_photo)
                .put(crate::photo_routes::put_photo)
                .layer(DefaultBodyLimit::max(profile_protocol::PHOTO_MAX_BYTES)),
        )
        .route("/sessions", axum::routing::post(sign_in))
        .route("/sessions/current", axum::routing::delete(sign_out))
        .route("/devices", get(devices))
        .route("/devices/{id}", axum::routing::delete(revoke_device))
        .route("/openapi.json", get(crate::openapi::openapi_json));
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route(SAMPLE_AVATAR_PATH, get(sample_avatar))
        .nest("/v1", v1)
        .fallback(not_found)
        // Outside the routing, so every path under /v1 — unknown paths and methods included —
        // is refused without the token, never answered (not even with "no such route").
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .layer(middleware::from_fn(limit_headers))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(count_requests))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// A failure, as the client sees it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// The body's `code`, for a refusal a client is expected to act on.
    code: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            code: None,
        }
    }

    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, error = %self.message, "request failed");
        } else {
            tracing::info!(status = %self.status, error = %self.message, "request refused");
        }
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: self.message,
                code: self.code.map(str::to_owned),
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<super::StoreError> for ApiError {
    fn from(error: super::StoreError) -> Self {
        // Details go to the log; the client learns only that storage failed.
        tracing::error!(%error, "store failure");
        match error.storage_problem() {
            Some(profile_sqlite::StorageProblem::Full) => {
                return ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "the server's disk is full: nothing was changed; try again later",
                )
                .with_code("storage_full");
            }
            Some(profile_sqlite::StorageProblem::ReadOnly) => {
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server's storage takes no changes (it is read-only): nothing was \
                     changed; try again later",
                )
                .with_code("storage_read_only");
            }
            None => {}
        }
        if error.unreachable() {
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server cannot reach its database; try again shortly",
            )
            .with_code("database_unreachable");
        }
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not access its storage",
        )
    }
}

/// Where the server offers a sample photo (public, like any photo URL), so the demo profile
/// shows a picture without the internet.
pub const SAMPLE_AVATAR_PATH: &str = "/assets/avatar.png";

async fn sample_avatar() -> Response {
    const PNG: &[u8] = include_bytes!("../../../assets/avatar.png");
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        PNG,
    )
        .into_response()
}

#[utoipa::path(
    get, path = "/health", operation_id = "health", tag = "operations", security(()),
    description = "Liveness: 200 while the process serves.",
    responses((status = 200, description = "The process serves.", body = crate::openapi::Status))
)]
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// How long `/ready` waits for the database's answer.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `/ready`: 200 while this instance should get requests; 503 with the reason while it is
/// stopping (draining: a load balancer sends new requests and streams elsewhere) or its
/// database does not answer within two seconds.
#[utoipa::path(
    get, path = "/ready", operation_id = "ready", tag = "operations", security(()),
    description = "Readiness: 200 while this instance should get requests; 503 with the reason \
                   while it is stopping or its database does not answer within 2 s.",
    responses(
        (status = 200, description = "Ready.", body = crate::openapi::Status),
        (status = 503, description = "Not ready (`not_ready`), and why.", body = ErrorBody),
    )
)]
async fn ready(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let unready = |reason: String| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reason).with_code("not_ready")
    };
    if state.is_draining() {
        return Err(unready("this instance is stopping".into()));
    }
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(serde_json::json!({ "status": "ready" }))),
        Ok(Err(error)) => Err(unready(format!("the database cannot be reached: {error}"))),
        Err(_) => Err(unready(format!(
            "the database did not answer within {} s",
            READY_TIMEOUT.as_secs()
        ))),
    }
}

/// Counts every request by its route (the pattern it matched, so ids do not make new series),
/// method and status, and how long it took until its answer's headers.
async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(
        "profile_server_http_request_duration_seconds",
        "route" => route.clone(),
        "method" => method.clone()
    )
    .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "profile_server_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => status
    )
    .increment(1);
    response
}

async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("there is no {method} {}", uri.path()),
    )
}

async fn limit_headers(request: Request, next: Next) -> Result<Response, ApiError> {
    let size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        return Err(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the request headers are larger than {MAX_HEADER_BYTES} bytes"),
        ));
    }
    Ok(next.run(request).await)
}

/// The `/v1` paths open without a token: signing in (`POST /v1/sessions`) and the API's
/// document (`GET /v1/openapi.json`).
fn is_open(request: &Request) -> bool {
    // Any method: one they do not have is answered 405 (with `Allow`), as it should be.
    let path = request.uri().path();
    path == "/v1/sessions" || path == "/v1/openapi.json"
}

/// Finds who is calling from the bearer token: the `--token` shortcut (the default user) or a
/// signed-in device. Everything under `/v1` but signing in needs one.
async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = request.uri().path();
    if (path != "/v1" && !path.starts_with("/v1/")) || is_open(&request) {
        return Ok(next.run(request).await);
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let Some(token) = presented else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "an Authorization: Bearer <token> header is required",
        ));
    };
    let shortcut = state
        .shortcut
        .as_ref()
        .is_some_and(|shortcut| bool::from(token.as_bytes().ct_eq(shortcut.as_bytes())));
    let found = if shortcut {
        Some((
            Caller {
                user: DEFAULT_USER,
                device: None,
            },
            None,
        ))
    } else {
        state
            .store
            .caller_and_profile(token)
            .await?
            .map(|(caller, profile)| (caller, Some(Prefetched(profile))))
    };
    let Some((caller, prefetched)) = found else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "the bearer token is wrong, or its device was signed out",
        ));
    };
    request.extensions_mut().insert(caller);
    if let Some(prefetched) = prefetched {
        request.extensions_mut().insert(prefetched);
    }
    Ok(next.run(request).await)
}

/// The ETag header of a state.
fn etag(profile: &ProfileWire) -> header::HeaderValue {
    header::HeaderValue::from_str(&profile_protocol::quoted(&profile.etag))
        .expect("tags are made of letters, digits and dashes")
}

fn with_etag(status: StatusCode, profile: ProfileWire) -> Response {
    let tag = etag(&profile);
    let mut response = (status, Json(profile)).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// The caller's profile as read with their token (one round trip for the most frequent request).
#[derive(Clone)]
struct Prefetched(Option<ProfileWire>);

#[utoipa::path(
    get, path = "/v1/profile", operation_id = "get_profile", tag = "profile",
    description = "The caller's profile, with the ETag that names its state.",
    params(crate::openapi::IfNoneMatch),
    responses(
        (status = 200, description = "The profile.", body = ProfileWire,
            headers(("ETag" = String, description = "The state's strong tag."))),
        (status = 304, description = "The profile is the state `If-None-Match` names.",
            headers(("ETag" = String, description = "The state's strong tag."))),
        (status = 400, description = "A malformed or weak tag in `If-None-Match`.", body = ErrorBody),
        (status = 404, description = "There is no profile yet.", body = ErrorBody),
    )
)]
async fn get_profile(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    prefetched: Option<Extension<Prefetched>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let profile = match prefetched {
        Some(Extension(Prefetched(profile))) => profile,
        None => state.store.profile_of(caller.user).await?,
    };
    let Some(profile) = profile else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "there is no profile yet",
        ));
    };
    if let Some(value) = headers.get(header::IF_NONE_MATCH)
        && etag_list(value, "If-None-Match")?.matches(&profile.etag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, etag(&profile));
        return Ok(response);
    }
    Ok(with_etag(StatusCode::OK, profile))
}

#[utoipa::path(
    put, path = "/v1/profile", operation_id = "put_profile", tag = "profile",
    description = "Creates the profile (`If-None-Match: *`) or replaces the state `If-Match` \
                   names. A body equal to the current state succeeds whatever the tag (a retry).",
    params(crate::openapi::IfMatch, crate::openapi::IfNoneMatchCreate),
    request_body(content = PutBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced (or already equal: no new version).",
            body = ProfileWire, headers(("ETag" = String, description = "The new state's tag."))),
        (status = 201, description = "Created.", body = ProfileWire,
            headers(("ETag" = String, description = "The new state's tag."))),
        (status = 400, description = "Malformed JSON, or malformed or conflicting preconditions.",
            body = ErrorBody),
        (status = 409, description = "The photo it refers to was not uploaded (`photo_missing`).",
            body = ErrorBody),
        (status = 412, description = "Stale: the current profile and its tag; or no profile to \
                                      update.", body = crate::openapi::PreconditionFailed,
            headers(("ETag" = String, description = "The current state's tag, when there is one."))),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not JSON.", body = ErrorBody),
        (status = 422, description = "Wrong types, unknown fields or invalid values.", body = ErrorBody),
        (status = 428, description = "A profile exists and no precondition was sent.", body = ErrorBody),
        (status = 507, description = "The server's disk is full (`storage_full`): nothing changed.",
            body = ErrorBody),
    )
)]
async fn put_profile(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Json<PutBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let precondition = precondition(&headers)?;
    let Json(body) = body.map_err(|rejection| body_error(rejection, "profile"))?;
    let fields = validate(&body.name, &body.photo_url)
        .map_err(|error| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()))?;
    // An absent `photo` (a client from before photos) keeps the photo; `null` removes it.
    if let Some(Some(photo)) = &body.photo {
        photo.check().map_err(|reason| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("photo: {reason}"))
        })?;
    }
    let edit = Edit {
        keep_photo: body.photo.is_none(),
        fields: fields.with_photo(body.photo.flatten()),
    };
    let outcome = state
        .store
        .edit_for(caller.user, &edit, &precondition)
        .await?;
    let counted = match &outcome {
        PutOutcome::Created(_) => "created",
        PutOutcome::Updated(_) => "updated",
        PutOutcome::Unchanged(_) => "unchanged",
        PutOutcome::Stale(_) | PutOutcome::Missing => "conflict",
        PutOutcome::PreconditionRequired => "precondition_required",
        PutOutcome::PhotoMissing(_) => "photo_missing",
    };
    metrics::counter!("profile_server_profile_writes_total", "outcome" => counted).increment(1);
    if let PutOutcome::Created(profile) | PutOutcome::Updated(profile) = &outcome {
        tracing::info!(
            user = caller.user.0,
            version = profile.version,
            "profile changed"
        );
    }
    match outcome {
        PutOutcome::Created(profile) => Ok(with_etag(StatusCode::CREATED, profile)),
        PutOutcome::Updated(profile) | PutOutcome::Unchanged(profile) => {
            Ok(with_etag(StatusCode::OK, profile))
        }
        PutOutcome::Stale(current) => {
            tracing::info!(version = current.version, "stale precondition");
            Ok(with_etag(StatusCode::PRECONDITION_FAILED, current))
        }
        PutOutcome::Missing => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "there is no profile to update; create it with If-None-Match: *",
        )),
        PutOutcome::PreconditionRequired => Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "changing the profile needs If-Match with its ETag (or If-None-Match: * to create it)",
        )),
        PutOutcome::PhotoMissing(id) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("the photo {id} has not been uploaded; PUT it to /v1/photos/{id} first"),
        )
        .with_code(profile_protocol::PHOTO_MISSING)),
    }
}

/// axum's own JSON rejection (415 without a JSON content type, 413 over the limit, 400 for bad
/// syntax, 422 for the wrong shape), said in words the client can act on; `what` names the body
/// ("profile", "sign-in").
fn body_error(rejection: JsonRejection, what: &str) -> ApiError {
    let status = rejection.status();
    let message = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "the body must be JSON (Content-Type: application/json)".to_owned()
        }
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the body is larger than {MAX_BODY_BYTES} bytes")
        }
        _ => format!("the body is not a valid {what}: {}", rejection.body_text()),
    };
    ApiError::new(status, message)
}

/// Parses an `If-Match` / `If-None-Match` header named `name`.
fn etag_list(value: &header::HeaderValue, name: &str) -> Result<EtagList, ApiError> {
    value
        .to_str()
        .ok()
        .and_then(|text| parse_etags(text).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("{name} {}", profile_protocol::ParseEtagError),
            )
        })
}

fn precondition(headers: &HeaderMap) -> Result<Precondition, ApiError> {
    match (
        headers.get(header::IF_MATCH),
        headers.get(header::IF_NONE_MATCH),
    ) {
        (Some(_), Some(_)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "send either If-Match or If-None-Match, not both",
        )),
        (Some(value), None) => Ok(match etag_list(value, "If-Match")? {
            EtagList::Any => Precondition::Exists,
            EtagList::Tags(tags) => Precondition::OneOf(tags),
        }),
        (None, Some(value)) => match etag_list(value, "If-None-Match")? {
            EtagList::Any => Ok(Precondition::Absent),
            EtagList::Tags(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "on PUT, If-None-Match must be *",
            )),
        },
        (None, None) => Ok(Precondition::None),
    }
}

/// `text/event-stream`: the caller's current profile at once, then one event per change, and a
/// keep-alive comment every 15 s. The stream ends when the server stops, and within a second
/// of the caller's device being signed out, revoked or its user disabled.
#[utoipa::path(
    get, path = "/v1/profile/events", operation_id = "profile_events", tag = "profile",
    description = "Server-sent events: the current profile at once (`event: profile`, its \
                   version as the `id:`), then one event per change; a keep-alive comment every \
                   15 s. Ends when the caller's device is signed out.",
    responses(
        (status = 200, description = "The stream: each event's data is the profile.",
            content_type = "text/event-stream", body = crate::openapi::ProfileEvent),
    )
)]
async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let subscription = state.store.subscribe(caller.user);
    let current = state.store.profile_of(caller.user).await?;
    let closed = state.closed();
    let stream = futures::stream::unfold(
        EventStream {
            pending: current,
            subscription,
            access: state.auth_changed.subscribe(),
            _revocable: caller
                .device
                .as_ref()
                .map(|_| crate::streams::Revocable::open(&state.revocable)),
            state,
            caller,
        },
        |mut stream| async move {
            let event = stream.next().await?;
            metrics::counter!("profile_server_events_sent_total").increment(1);
            Some((profile_event(&event), stream))
        },
    );
    let stream = futures::StreamExt::take_until(stream, closed);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}

/// One caller's event stream.
struct EventStream {
    pending: Option<ProfileWire>,
    subscription: crate::streams::Subscription,
    access: tokio::sync::watch::Receiver<u64>,
    /// Counted while open, when the caller is a signed-in device (not the `--token` shortcut).
    _revocable: Option<crate::streams::Revocable>,
    state: AppState,
    caller: Caller,
}

impl EventStream {
    /// The user's current state; `Err` when it cannot be read (the stream ends).
    async fn current(&self) -> Result<Option<ProfileWire>, ()> {
        self.state
            .store
            .profile_of(self.caller.user)
            .await
            .map_err(|error| tracing::error!(%error, "event stream cannot read the store"))
    }

    /// The next profile to send; `None` ends the stream.
    async fn next(&mut self) -> Option<ProfileWire> {
        use tokio::sync::broadcast::error::RecvError;
        if let Some(profile) = self.pending.take() {
            return Some(profile);
        }
        loop {
            tokio::select! {
                received = self.subscription.changes.recv() => match received {
                    Ok(profile) => {
                        // From the commit (its time, on the database's writer) to this stream.
                        let delay = (chrono::Utc::now() - profile.updated_at)
                            .to_std()
                            .unwrap_or_default();
                        metrics::histogram!("profile_server_fanout_delay_seconds")
                            .record(delay.as_secs_f64());
                        return Some(profile);
                    }
                    // Missed some changes: the latest state is all a listener needs.
                    Err(RecvError::Lagged(_)) => {
                        if let Some(profile) = self.current().await.ok()? {
                            return Some(profile);
                        }
                    }
                    Err(RecvError::Closed) => return None,
                },
                resync = self.subscription.resync.changed() => {
                    resync.ok()?;
                    if let Some(profile) = self.current().await.ok()? {
                        return Some(profile);
                    }
                }
                changed = self.access.changed() => {
                    changed.ok()?;
                    match self.state.store.still_valid(&self.caller).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::info!(device = ?self.caller.device, "device signed out; ending its event stream");
                            return None;
                        }
                        Err(error) => {
                            tracing::error!(%error, "event stream cannot check its device");
                            return None;
                        }
                    }
                }
            }
        }
    }
}

/// Signs a device in: 201 `{"token", "device_id"}`. A wrong email and a wrong password get the
/// same answer, in about the same time; too many failures get 429 with `Retry-After`.
#[utoipa::path(
    post, path = "/v1/sessions", operation_id = "sign_in", tag = "accounts", security(()),
    description = "Signs a device in. The same answer whether or not the email exists.",
    request_body(content = profile_protocol::SignIn, content_type = "application/json"),
    responses(
        (status = 201, description = "Signed in; the token is shown only here.",
            body = profile_protocol::SignedIn, links(
                ("RevokeThisDevice" = (
                    operation_id = "revoke_device",
                    parameters(("id" = "$response.body#/device_id")),
                    description = "Sign the new device out."
                ))
            )),
        (status = 400, description = "Malformed JSON.", body = ErrorBody),
        (status = 401, description = "The email or the password is wrong.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "The body is not JSON.", body = ErrorBody),
        (status = 422, description = "Wrong types or unknown fields.", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins; try again later.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
async fn sign_in(
    State(state): State<AppState>,
    remote: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Result<Json<profile_protocol::SignIn>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|rejection| body_error(rejection, "sign-in"))?;
    let address = remote.map(|Extension(ConnectInfo(addr))| addr.ip());
    let email = body.email.trim().to_lowercase();
    if let Err(wait) = state.logins.check(&email, address) {
        metrics::counter!("profile_server_sign_ins_total", "outcome" => "rate_limited")
            .increment(1);
        let seconds = wait.as_secs().max(1);
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed sign-ins; try again in {seconds} s"),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        return Ok(response);
    }
    let Some(user) = state
        .store
        .sign_in(&email, &body.password)
        .await
        .map_err(account_error)?
    else {
        metrics::counter!("profile_server_sign_ins_total", "outcome" => "failed").increment(1);
        state.logins.failed(&email, address);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "the email or the password is wrong",
        ));
    };
    state.logins.succeeded(&email);
    metrics::counter!("profile_server_sign_ins_total", "outcome" => "ok").increment(1);
    let issued = state
        .store
        .add_device(user, &body.device_name)
        .await
        .map_err(account_error)?;
    tracing::info!(user = user.0, device = %issued.device_id, "device signed in");
    Ok((
        StatusCode::CREATED,
        Json(profile_protocol::SignedIn {
            token: issued.token,
            device_id: issued.device_id,
        }),
    )
        .into_response())
}

fn account_error(error: crate::AccountError) -> ApiError {
    match error {
        crate::AccountError::Store(error) => error.into(),
        other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
    }
}

/// `DELETE /v1/sessions/current`: signs this device out.
#[utoipa::path(
    delete, path = "/v1/sessions/current", operation_id = "sign_out", tag = "accounts",
    description = "Signs the calling device out.",
    responses(
        (status = 204, description = "Signed out: its token is refused from now on."),
        (status = 409, description = "The token is the server's `--token` shortcut.", body = ErrorBody),
    )
)]
async fn sign_out(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<StatusCode, ApiError> {
    let Some(device) = &caller.device else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "this token is set on the server with --token; change it there",
        ));
    };
    state.store.revoke_device(caller.user, device).await?;
    state.access_changed();
    tracing::info!(user = caller.user.0, %device, "device signed out");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/devices`: the caller's signed-in devices.
#[utoipa::path(
    get, path = "/v1/devices", operation_id = "list_devices", tag = "accounts",
    description = "The caller's signed-in devices.",
    responses(
        (status = 200, description = "The devices.", body = profile_protocol::DeviceList, links(
            ("RevokeFirstDevice" = (
                operation_id = "revoke_device",
                parameters(("id" = "$response.body#/devices/0/id")),
                description = "Sign the first device listed out (its token is refused after)."
            ))
        )),
    )
)]
async fn devices(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<profile_protocol::DeviceList>, ApiError> {
    let devices = state.store.devices_of(caller.user).await?;
    let devices = devices
        .into_iter()
        .map(|device| profile_protocol::Device {
            current: caller.device.as_deref() == Some(device.id.as_str()),
            id: device.id,
            name: device.name,
            created_at: device.created_at,
        })
        .collect();
    Ok(Json(profile_protocol::DeviceList { devices }))
}

/// `DELETE /v1/devices/{id}`: revokes one of the caller's devices.
#[utoipa::path(
    delete, path = "/v1/devices/{id}", operation_id = "revoke_device", tag = "accounts",
    description = "Signs one of the caller's devices out.",
    params(("id" = String, Path, description = "The device's id (from `GET /v1/devices`).")),
    responses(
        (status = 204, description = "Signed out: its token is refused from now on."),
        (status = 404, description = "The caller has no such device.", body = ErrorBody),
    )
)]
async fn revoke_device(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.revoke_device(caller.user, &id).await? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "you have no such device",
        ));
    }
    state.access_changed();
    tracing::info!(user = caller.user.0, device = %id, "device revoked");
    Ok(StatusCode::NO_CONTENT)
}

fn profile_event(profile: &ProfileWire) -> Result<Event, Infallible> {
    Ok(Event::default()
        .event("profile")
        .id(profile.version.to_string())
        .json_data(profile)
        .unwrap_or_else(|_| Event::default().comment("unserializable profile")))
}
