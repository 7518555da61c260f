-- Photos picked on a device, kept per user and named by the SHA-256 of their bytes (a
-- normalised JPEG). A profile refers to at most one (`profiles.photo`, the reference as JSON:
-- sha256, width, height, bytes). `released_at` is NULL while the user's profile refers to the
-- photo, else when it stopped (or, for one uploaded and not yet referred to, when it came):
-- photos released longer ago than the grace period are deleted.
CREATE TABLE photos (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    sha256       TEXT    NOT NULL,
    jpeg         BLOB    NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    released_at  TEXT,
    PRIMARY KEY (user_id, sha256)
);
CREATE INDEX photos_released ON photos (released_at) WHERE released_at IS NOT NULL;
ALTER TABLE profiles ADD COLUMN photo TEXT;
