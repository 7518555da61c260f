-- The locally held profile (one row) and what correct synchronisation needs beside it.
CREATE TABLE profile (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    name             TEXT    NOT NULL,
    photo_url        TEXT    NOT NULL,
    -- 1 when the local copy equals the server copy at base_version.
    synchronized     INTEGER NOT NULL CHECK (synchronized IN (0, 1)),
    -- Increases on every local edit; "mark synced" is a compare-and-set on it.
    revision         INTEGER NOT NULL,
    -- The last server copy this one was synced with (NULL before the first sync).
    base_version     INTEGER,
    base_name        TEXT,
    base_photo_url   TEXT,
    base_updated_at  TEXT,
    updated_at       TEXT    NOT NULL,
    synced_at        TEXT,
    -- The server copy a conflicting edit must be shown against (NULL when there is no conflict).
    conflict_version    INTEGER,
    conflict_name       TEXT,
    conflict_photo_url  TEXT,
    conflict_updated_at TEXT,
    conflict_fields     TEXT
);

-- The outcome of the last sync attempt, for `status` (one row).
CREATE TABLE sync_attempt (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    at          TEXT    NOT NULL,
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    message     TEXT    NOT NULL
);
