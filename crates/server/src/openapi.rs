//! The REST API as an OpenAPI 3.1 document, generated from the handlers' own annotations and
//! the wire types (`profile-protocol` derives their schemas), so the document cannot drift from
//! the code. Served at `GET /v1/openapi.json`; the committed `openapi.json` at the top of the
//! repository is kept equal to it by a test.
//!
//! What every operation may answer besides its own statuses is added here once: 401 where a
//! token is needed, 408 (the request took too long), 431 (headers over 8 KiB) and 503 (the
//! database cannot be reached, or its disk takes no writes).

use profile_protocol::{ErrorBody, ProfileWire};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

/// `/health` and `/ready`'s answer.
#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok` (`/health`) or `ready` (`/ready`).
    pub status: String,
}

/// A stale `PUT`'s 412: the current profile (with its `ETag`), or an error body when there is
/// no profile to update.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum PreconditionFailed {
    Current(ProfileWire),
    Missing(ErrorBody),
}

/// One event of `GET /v1/profile/events`.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the events are written by axum's `Sse`.
pub struct ProfileEvent {
    /// Always `profile`.
    #[schema(pattern = "^profile$")]
    event: String,
    /// The profile's version.
    #[schema(pattern = "^[0-9]+$")]
    id: String,
    /// The profile as JSON (a `ProfileWire`).
    #[schema(content_media_type = "application/json")]
    data: String,
}

/// The bytes of a photo.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// `If-Match`: `*` or a comma-separated list of strong tags.
#[derive(utoipa::IntoParams)]
#[into_params(names("If-Match"), parameter_in = Header)]
pub struct IfMatch(
    /// `*`, or the tags (quoted) of the states the change is based on.
    #[param(value_type = String, required = false, pattern = r#"^[ \t]*(\*|"[A-Za-z0-9-]{1,64}"([ \t]*,[ \t]*"[A-Za-z0-9-]{1,64}")*)[ \t]*$"#)]
    pub Option<String>,
);

/// `If-None-Match` on `GET`: the tags of the states the caller has.
#[derive(utoipa::IntoParams)]
#[into_params(names("If-None-Match"), parameter_in = Header)]
pub struct IfNoneMatch(
    /// `*`, or a comma-separated list of quoted strong tags.
    #[param(value_type = String, required = false, pattern = r#"^[ \t]*(\*|"[A-Za-z0-9-]{1,64}"([ \t]*,[ \t]*"[A-Za-z0-9-]{1,64}")*)[ \t]*$"#)]
    pub Option<String>,
);

/// `If-None-Match` on `PUT`: only `*`, to create the profile.
#[derive(utoipa::IntoParams)]
#[into_params(names("If-None-Match"), parameter_in = Header)]
pub struct IfNoneMatchCreate(
    /// `*`: create the profile (412 when there is one).
    #[param(value_type = String, required = false, pattern = r#"^[ \t]*\*[ \t]*$"#)]
    pub Option<String>,
);

/// `GET /v1/openapi.json`: this document.
#[utoipa::path(
    get, path = "/v1/openapi.json", operation_id = "openapi", tag = "operations", security(()),
    description = "This document.",
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json",
        body = Object))
)]
pub(crate) async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(document())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "profile-server",
        description = "The REST API of the server that offline-profile syncs profiles with: \
                       accounts and devices, one profile per user with versions and conflict \
                       detection by ETag, photos, and server-sent events.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    paths(
        crate::api::health,
        crate::api::ready,
        openapi_json,
        crate::api::get_profile,
        crate::api::put_profile,
        crate::api::events,
        crate::photo_routes::get_photo,
        crate::photo_routes::put_photo,
        crate::api::sign_in,
        crate::api::sign_out,
        crate::api::devices,
        crate::api::revoke_device,
    ),
    components(schemas(
        ProfileWire,
        profile_protocol::PutBody,
        ErrorBody,
        profile_protocol::PhotoRef,
        profile_protocol::SignIn,
        profile_protocol::SignedIn,
        profile_protocol::Device,
        profile_protocol::DeviceList,
        Status,
        PreconditionFailed,
        ProfileEvent,
    )),
    security(("device_token" = [])),
    modifiers(&Common),
    tags(
        (name = "profile", description = "The caller's profile."),
        (name = "photos", description = "The caller's photos."),
        (name = "accounts", description = "Signing in and out, and the caller's devices."),
        (name = "operations", description = "Probes and this document."),
    )
)]
struct ApiDoc;

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as the committed file holds it: pretty JSON and a final newline.
pub fn document_json() -> String {
    let mut json = document().to_pretty_json().expect("the document is JSON");
    json.push('\n');
    json
}

/// The security scheme, and the answers every operation may give.
struct Common;

impl Modify for Common {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A device's token (from `POST /v1/sessions`) or the server's `--token`.",
                    ))
                    .build(),
            ),
        );
        let error = |description: &str| -> RefOr<Response> {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                "ErrorBody",
                            ))))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                // `security(())` on an operation: no token needed.
                let open = operation
                    .security
                    .as_ref()
                    .is_some_and(|requirements| requirements.iter().all(is_empty_requirement));
                let responses = &mut operation.responses.responses;
                if !open {
                    responses.entry("401".into()).or_insert_with(|| {
                        error("No token, a wrong one, or its device was signed out.")
                    });
                }
                responses
                    .entry("408".into())
                    .or_insert_with(|| error("The request took longer than 10 s."));
                responses
                    .entry("431".into())
                    .or_insert_with(|| error("The request's headers are over 8 KiB."));
                if path != "/health" && path != "/v1/openapi.json" {
                    responses.entry("503".into()).or_insert_with(|| {
                        error(
                            "The database cannot be reached (`database_unreachable`), or its \
                             storage takes no writes (`storage_read_only`).",
                        )
                    });
                }
            }
        }
    }
}

fn is_empty_requirement(requirement: &utoipa::openapi::security::SecurityRequirement) -> bool {
    serde_json::to_value(requirement).is_ok_and(|value| value == serde_json::json!({}))
}
