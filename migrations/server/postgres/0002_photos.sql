-- Photos, as the SQLite store's 0004_photos.sql describes them.
CREATE TABLE photos (
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    sha256       TEXT        NOT NULL,
    jpeg         BYTEA       NOT NULL,
    width        INTEGER     NOT NULL,
    height       INTEGER     NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    released_at  TIMESTAMPTZ,
    PRIMARY KEY (user_id, sha256)
);
CREATE INDEX photos_released ON photos (released_at) WHERE released_at IS NOT NULL;
ALTER TABLE profiles ADD COLUMN photo TEXT;
