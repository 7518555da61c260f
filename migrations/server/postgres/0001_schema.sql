-- The PostgreSQL schema: the same tables as the SQLite store's migrations produce.
CREATE TABLE store (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    store_id  TEXT NOT NULL
);
INSERT INTO store (id, store_id) VALUES (1, md5(random()::text || clock_timestamp()::text));

-- User 1 is the default user: the profile of the `--token` single-user shortcut.
CREATE TABLE users (
    id             BIGSERIAL   PRIMARY KEY,
    email          TEXT        NOT NULL UNIQUE,
    password_hash  TEXT,
    disabled_at    TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL
);
INSERT INTO users (id, email, password_hash, created_at) VALUES (1, 'default', NULL, now());
SELECT setval('users_id_seq', 1);

CREATE TABLE devices (
    id          TEXT        PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    name        TEXT        NOT NULL,
    token_hash  TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX devices_by_user ON devices (user_id);

CREATE TABLE profiles (
    user_id     BIGINT      PRIMARY KEY REFERENCES users (id),
    name        TEXT        NOT NULL,
    photo_url   TEXT        NOT NULL,
    version     BIGINT      NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    etag        TEXT        NOT NULL
);

CREATE TABLE auth_epoch (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  BIGINT  NOT NULL
);
INSERT INTO auth_epoch (id, epoch) VALUES (1, 0);
