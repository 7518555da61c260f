//! Users, their devices and the secrets that prove them: argon2id password hashes, and device
//! tokens of which only a SHA-256 is kept. Shares the store's database.
//!
//! Never logs or returns a password, a token or a hash.

use crate::change::UserId;
use crate::store::{Store, StoreError, in_transaction, with_pool};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use profile_protocol::ProfileWire;
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

/// Who is calling: the user and the device whose token was presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: UserId,
    /// `None` for the `--token` shortcut, which is configured rather than signed in.
    pub device: Option<String>,
}

/// A device row with its user's profile, if any.
#[derive(sqlx::FromRow)]
struct AuthRow {
    user_id: i64,
    token_hash: String,
    name: Option<String>,
    photo_url: Option<String>,
    photo: Option<String>,
    version: Option<i64>,
    updated_at: Option<DateTime<Utc>>,
    etag: Option<String>,
}

/// A user, as `user list` shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub devices: i64,
}

/// A device, as `GET /v1/devices` shows it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A token just issued: shown once, then only its hash is kept.
#[derive(Debug, Clone)]
pub struct Issued {
    pub device_id: String,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0} is not a valid email address")]
    BadEmail(String),
    #[error("a password needs at least 8 characters")]
    WeakPassword,
    #[error("there is already a user {0}")]
    Exists(String),
    #[error("there is no user {0}")]
    NoSuchUser(String),
    #[error("the device name must be 1 to 100 characters without control characters")]
    BadDeviceName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> Self {
        AccountError::Store(error.into())
    }
}

/// The OWASP-recommended argon2id parameters: 19 MiB, two passes, one lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (slow by design: run it off the async threads).
pub fn hash_password(password: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Checks `password` against `hash`; with no hash (unknown user), against a fixed one, so that
/// the answer takes about as long whether or not the account exists.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    static DECOY: OnceLock<String> = OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash_password("decoy password, never matches"));
    let (hash, real) = match hash {
        Some(hash) => (hash, true),
        None => (decoy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// `bytes` random bytes, hex-encoded.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::Rng::fill(&mut rand::rng(), buffer.as_mut_slice());
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(secret: &str) -> String {
    profile_protocol::sha256_hex(secret.as_bytes())
}

/// Normalises an email address (trimmed, lower case) and checks its shape.
pub fn normalise_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(AccountError::BadEmail(email))
    }
}

fn check_device_name(name: &str) -> Result<&str, AccountError> {
    let name = name.trim();
    let chars = name.chars().count();
    if (1..=100).contains(&chars) && !name.chars().any(char::is_control) {
        Ok(name)
    } else {
        Err(AccountError::BadDeviceName)
    }
}

impl Store {
    /// Creates a user who signs in with `password`.
    pub async fn add_user(&self, email: &str, password: &str) -> Result<UserId, AccountError> {
        let email = normalise_email(email)?;
        if password.chars().count() < 8 {
            return Err(AccountError::WeakPassword);
        }
        let password = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .expect("hashing does not panic");
        let id = with_pool!(&self.db, pool => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO users (email, password_hash, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (email) DO NOTHING RETURNING id",
            )
            .bind(&email)
            .bind(&hash)
            .bind(Utc::now())
            .fetch_optional(pool)
            .await?
        });
        id.map(UserId).ok_or(AccountError::Exists(email))
    }

    pub async fn users(&self) -> Result<Vec<UserRow>, AccountError> {
        Ok(with_pool!(&self.db, pool => {
            sqlx::query_as::<_, UserRow>(
                "SELECT u.id, u.email, u.disabled_at, u.created_at, \
                 (SELECT count(*) FROM devices d WHERE d.user_id = u.id AND d.revoked_at IS NULL) \
                 AS devices FROM users u WHERE u.id <> 1 ORDER BY u.email",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Disables a user: every device of theirs is refused from now on.
    pub async fn disable_user(&self, email: &str) -> Result<UserId, AccountError> {
        let email = normalise_email(email)?;
        let id = in_transaction!(&self.db, tx => {
            let id = sqlx::query_scalar::<_, i64>(
                "UPDATE users SET disabled_at = coalesce(disabled_at, $1) WHERE email = $2 \
                 RETURNING id",
            )
            .bind(Utc::now())
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
            if id.is_some() {
                sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
            }
            id
        });
        id.map(UserId).ok_or(AccountError::NoSuchUser(email))
    }

    /// The user `email` if `password` is theirs and they are not disabled. Takes about as long
    /// for an unknown email as for a wrong password.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<UserId>, AccountError> {
        let email = email.trim().to_lowercase();
        let row: Option<(i64, Option<String>, Option<DateTime<Utc>>)> = with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, password_hash, disabled_at FROM users WHERE email = $1 AND id <> 1",
            )
            .bind(&email)
            .fetch_optional(pool)
            .await?
        });
        let hash = row.as_ref().and_then(|(_, hash, _)| hash.clone());
        let password = password.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || verify_password(hash.as_deref(), &password))
                .await
                .expect("verifying does not panic");
        Ok(match row {
            Some((id, _, None)) if matches => Some(UserId(id)),
            _ => None,
        })
    }

    /// Signs a device of `user` in: a new token, shown once.
    pub async fn add_device(&self, user: UserId, name: &str) -> Result<Issued, AccountError> {
        let name = check_device_name(name)?;
        let device_id = random_hex(8);
        let secret = random_hex(32);
        let hash = sha256_hex(&secret);
        with_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO devices (id, user_id, name, token_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&device_id)
            .bind(user.0)
            .bind(name)
            .bind(&hash)
            .bind(Utc::now())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(Issued {
            token: format!("{device_id}.{secret}"),
            device_id,
        })
    }

    /// Issues a token for `email`'s new device (for scripts; `token issue`).
    pub async fn issue_token(&self, email: &str, device: &str) -> Result<Issued, AccountError> {
        let email = normalise_email(email)?;
        let id = with_pool!(&self.db, pool => {
            sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = $1")
                .bind(&email)
                .fetch_optional(pool)
                .await?
        })
        .ok_or(AccountError::NoSuchUser(email))?;
        self.add_device(UserId(id), device).await
    }

    /// The caller a device token belongs to, if it is valid — issued here, not revoked, its user
    /// not disabled; the secret's hash compared in constant time — and the caller's profile,
    /// read in the same query: the most frequent request, `GET /v1/profile`, then costs one
    /// round trip.
    pub async fn caller_and_profile(
        &self,
        token: &str,
    ) -> Result<Option<(Caller, Option<ProfileWire>)>, StoreError> {
        let Some((device_id, secret)) = token.split_once('.') else {
            return Ok(None);
        };
        let row: Option<AuthRow> = with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT d.user_id, d.token_hash, p.name, p.photo_url, p.photo, p.version, \
                 p.updated_at, p.etag FROM devices d JOIN users u ON u.id = d.user_id \
                 LEFT JOIN profiles p ON p.user_id = d.user_id \
                 WHERE d.id = $1 AND d.revoked_at IS NULL AND u.disabled_at IS NULL",
            )
            .bind(device_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.and_then(|row| {
            let matches: bool = sha256_hex(secret)
                .as_bytes()
                .ct_eq(row.token_hash.as_bytes())
                .into();
            let caller = Caller {
                user: UserId(row.user_id),
                device: Some(device_id.to_owned()),
            };
            let profile = match (
                row.name,
                row.photo_url,
                row.version,
                row.updated_at,
                row.etag,
            ) {
                (Some(name), Some(photo_url), Some(version), Some(updated_at), Some(etag)) => {
                    Some(self.wire(crate::store::Row {
                        name,
                        photo_url,
                        photo: row.photo,
                        version,
                        updated_at,
                        etag,
                    }))
                }
                _ => None,
            };
            matches.then_some((caller, profile))
        }))
    }

    /// `true` while `caller` may still be served (not revoked, not disabled).
    pub async fn still_valid(&self, caller: &Caller) -> Result<bool, StoreError> {
        let Some(device) = &caller.device else {
            return Ok(true);
        };
        let count = with_pool!(&self.db, pool => {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM devices d JOIN users u ON u.id = d.user_id \
                 WHERE d.id = $1 AND d.revoked_at IS NULL AND u.disabled_at IS NULL",
            )
            .bind(device)
            .fetch_one(pool)
            .await?
        });
        Ok(count == 1)
    }

    pub async fn devices_of(&self, user: UserId) -> Result<Vec<DeviceRow>, StoreError> {
        Ok(with_pool!(&self.db, pool => {
            sqlx::query_as::<_, DeviceRow>(
                "SELECT id, name, created_at FROM devices WHERE user_id = $1 \
                 AND revoked_at IS NULL ORDER BY created_at",
            )
            .bind(user.0)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Revokes `user`'s device `id`; `false` when they have no such device.
    pub async fn revoke_device(&self, user: UserId, id: &str) -> Result<bool, StoreError> {
        Ok(in_transaction!(&self.db, tx => {
            let done = sqlx::query(
                "UPDATE devices SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
                 AND revoked_at IS NULL",
            )
            .bind(Utc::now())
            .bind(id)
            .bind(user.0)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if done {
                sqlx::query(BUMP_EPOCH).execute(&mut *tx).await?;
            }
            done
        }))
    }

    /// A number that moves whenever a device is revoked or a user disabled, by any process.
    pub async fn auth_epoch(&self) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.db, pool => {
            sqlx::query_scalar::<_, i64>("SELECT epoch FROM auth_epoch WHERE id = 1")
                .fetch_one(pool)
                .await?
        }))
    }
}

/// Moves the revocation counter (in the revoking transaction).
const BUMP_EPOCH: &str = "UPDATE auth_epoch SET epoch = epoch + 1 WHERE id = 1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_and_verify() {
        let hash = hash_password("correct horse");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(Some(&hash), "correct horse"));
        assert!(!verify_password(Some(&hash), "wrong horse"));
        assert!(!verify_password(None, "decoy password, never matches"));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email(" Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "ada",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@.com",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}
