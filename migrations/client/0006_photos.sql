-- Photos picked here or downloaded from the server, named by the SHA-256 of their bytes (a
-- normalised JPEG without metadata). The profile, its base, a conflict's server copy and each
-- unanswered push refer to at most one each (`photo`, `base_photo`, `conflict_photo`: the
-- reference as JSON — sha256, width, height, bytes — or NULL). A photo picked here is stored in
-- the transaction that points the profile at it; one no reference names is deleted.
CREATE TABLE photos (
    sha256     TEXT    PRIMARY KEY,
    jpeg       BLOB    NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    -- 1 once the server is known to hold it (uploaded from here, or downloaded from it).
    uploaded   INTEGER NOT NULL CHECK (uploaded IN (0, 1)),
    stored_at  TEXT    NOT NULL
);
ALTER TABLE profile ADD COLUMN photo TEXT;
ALTER TABLE profile ADD COLUMN base_photo TEXT;
ALTER TABLE profile ADD COLUMN conflict_photo TEXT;
ALTER TABLE in_flight ADD COLUMN photo TEXT;
