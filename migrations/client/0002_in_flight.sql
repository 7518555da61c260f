-- What pushes sent since the server last answered, kept until an answer is recorded. If an
-- answer was lost (a cut connection, a crash) and the server's copy turns out to be exactly
-- one of these, that write landed: the client rebases onto it instead of reporting a conflict
-- with itself.
CREATE TABLE in_flight (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    photo_url     TEXT    NOT NULL,
    -- The server version the push was made on (0: a create).
    base_version  INTEGER NOT NULL
);
