-- The current photo, as a small PNG made from the image at its URL, so it shows offline.
CREATE TABLE avatar (
    url         TEXT PRIMARY KEY,
    png         BLOB NOT NULL,
    fetched_at  TEXT NOT NULL
);
