//! Photos: kept per user, named by the SHA-256 of their bytes, served only to their owner.
//!
//! A photo is uploaded before the profile that refers to it (`PUT /v1/photos/{sha256}`, then
//! `PUT /v1/profile`). The profile's PUT marks the photo it now refers to as in use and starts
//! the grace period of the one it replaced; a photo out of use longer than [`GRACE`] is deleted,
//! whichever user's upload or the hourly collection comes first. The grace period is for devices
//! that uploaded a photo and went offline before sending the profile that refers to it: within it
//! their profile lands as it is; after it the server answers `photo_missing` and they upload
//! again (they keep the photo until the server has their profile).

use crate::change::UserId;
use crate::store::{Store, StoreError, in_transaction, with_pool};
use chrono::{DateTime, Utc};
use profile_protocol::{PhotoId, PhotoRef};
use std::time::Duration;

/// How long a photo no profile refers to is kept.
pub const GRACE: Duration = Duration::from_secs(7 * 24 * 3600);
/// At most this many photos are kept per user (in use or within their grace period)…
pub const QUOTA_PHOTOS: i64 = 20;
/// …holding at most this many bytes.
pub const QUOTA_BYTES: i64 = 20 * 1024 * 1024;

/// The release time before which a photo's grace period is over (the beginning of time for a
/// grace period longer than the calendar reaches).
fn released_before(now: DateTime<Utc>, grace: chrono::Duration) -> DateTime<Utc> {
    now.checked_sub_signed(grace)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The grace period in words: "7 days", "3 hours", "90 seconds".
pub(crate) fn grace_in_words(grace: chrono::Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if grace.num_days() >= 1 {
        plural(grace.num_days(), "day")
    } else if grace.num_hours() >= 1 {
        plural(grace.num_hours(), "hour")
    } else {
        plural(grace.num_seconds(), "second")
    }
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoPut {
    /// The photo is new (201).
    Created(PhotoRef),
    /// The user already had these very bytes (200): nothing was stored twice.
    Existed(PhotoRef),
    /// Keeping it would exceed the user's quota: nothing was stored.
    OverQuota { photos: i64, bytes: i64 },
}

impl Store {
    /// The same store, keeping photos out of use for `grace` (the default is [`GRACE`]).
    pub fn with_photo_grace(mut self, grace: Duration) -> Self {
        self.photo_grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
        self
    }

    /// Keeps `jpeg` (already checked to be a photo of `width` × `height`) as one of `user`'s
    /// photos. The photos whose grace period is over are deleted first, in the same transaction,
    /// so they count against no quota. Uploading a photo the user already has restarts its grace
    /// period, so the profile PUT that follows finds it.
    pub async fn put_photo(
        &self,
        user: UserId,
        jpeg: &[u8],
        width: u32,
        height: u32,
    ) -> Result<PhotoPut, StoreError> {
        let id = PhotoId::of(jpeg);
        let reference = PhotoRef {
            sha256: id.clone(),
            width,
            height,
            bytes: jpeg.len() as u64,
        };
        let now = Utc::now();
        let expired = released_before(now, self.photo_grace);
        let _turn = match &self.db {
            crate::store::Db::Sqlite(_) => Some(self.photo_writer.lock().await),
            crate::store::Db::Postgres(_) => None,
        };
        Ok(in_transaction!(&self.db, tx => {
            sqlx::query("DELETE FROM photos WHERE user_id = $1 AND released_at < $2")
                .bind(user.0)
                .bind(expired)
                .execute(&mut *tx)
                .await?;
            let refreshed = sqlx::query(
                "UPDATE photos SET released_at = CASE WHEN released_at IS NULL THEN NULL \
                 ELSE $3 END WHERE user_id = $1 AND sha256 = $2",
            )
            .bind(user.0)
            .bind(id.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if refreshed == 1 {
                PhotoPut::Existed(reference)
            } else {
                let (photos, bytes): (i64, i64) = sqlx::query_as(
                    "SELECT CAST(count(*) AS BIGINT), \
                     CAST(coalesce(sum(length(jpeg)), 0) AS BIGINT) \
                     FROM photos WHERE user_id = $1",
                )
                .bind(user.0)
                .fetch_one(&mut *tx)
                .await?;
                if photos + 1 > QUOTA_PHOTOS || bytes + jpeg.len() as i64 > QUOTA_BYTES {
                    PhotoPut::OverQuota { photos, bytes }
                } else {
                    let inserted = sqlx::query(
                        "INSERT INTO photos (user_id, sha256, jpeg, width, height, created_at, \
                         released_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                         ON CONFLICT (user_id, sha256) DO NOTHING",
                    )
                    .bind(user.0)
                    .bind(id.as_str())
                    .bind(jpeg)
                    .bind(width as i32)
                    .bind(height as i32)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 1 {
                        PhotoPut::Created(reference)
                    } else {
                        // Another instance stored the same bytes a moment ago.
                        PhotoPut::Existed(reference)
                    }
                }
            }
        }))
    }

    /// `user`'s photo `id`, if they have it (another user's is not theirs: `None`).
    pub async fn photo_of(
        &self,
        user: UserId,
        id: &PhotoId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(with_pool!(&self.db, pool => {
            sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT jpeg FROM photos WHERE user_id = $1 AND sha256 = $2",
            )
            .bind(user.0)
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Deletes every user's photos whose grace period is over; returns how many.
    pub async fn collect_photos(&self) -> Result<u64, StoreError> {
        let expired = released_before(Utc::now(), self.photo_grace);
        Ok(with_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM photos WHERE released_at < $1")
                .bind(expired)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_period_reads_in_words_and_any_length_is_safe() {
        let words = |seconds| grace_in_words(chrono::Duration::seconds(seconds));
        assert_eq!(words(7 * 86_400), "7 days");
        assert_eq!(words(86_400), "1 day");
        assert_eq!(words(3 * 3600), "3 hours");
        assert_eq!(words(90), "90 seconds");
        assert_eq!(words(1), "1 second");
        // As large as `--photo-grace-seconds` goes: 200 million years, and what `with_photo_grace`
        // makes of a value beyond chrono's range.
        for forever in [
            chrono::Duration::seconds(200_000_000 * 31_557_600),
            chrono::Duration::MAX,
        ] {
            assert_eq!(
                released_before(Utc::now(), forever),
                DateTime::<Utc>::MIN_UTC
            );
        }
    }
}
