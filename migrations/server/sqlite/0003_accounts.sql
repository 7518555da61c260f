-- Many users, each with devices and one profile. User 1 is the default user: the profile of a
-- single-user setup (`--token`, the app's embedded server) is theirs; it has no password.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,
    -- argon2id, PHC string format; NULL: cannot sign in with a password.
    password_hash  TEXT,
    disabled_at    TEXT,
    created_at     TEXT    NOT NULL
);
INSERT INTO users (id, email, password_hash, created_at)
VALUES (1, 'default', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- A signed-in device. Its token is `<id>.<secret>`; only SHA-256(secret) is kept.
CREATE TABLE devices (
    id          TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    token_hash  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX devices_by_user ON devices (user_id);

CREATE TABLE profiles (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    name        TEXT    NOT NULL,
    photo_url   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  TEXT    NOT NULL,
    etag        TEXT    NOT NULL
);
INSERT INTO profiles (user_id, name, photo_url, version, updated_at, etag)
SELECT 1, name, photo_url, version, updated_at, etag FROM profile;
DROP TABLE profile;

-- Bumped by every revocation and every disabled user, in the same transaction, so that every
-- server process on this database notices and closes the event streams concerned.
CREATE TABLE auth_epoch (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, epoch) VALUES (1, 0);
