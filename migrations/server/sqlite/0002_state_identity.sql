-- Every state of the profile is named by a tag that is never handed out again (its version and
-- 64 random bits), and the store by an id created with it, so a client can tell a state from
-- another one that reuses its version number (a restored backup, another server).
ALTER TABLE profile ADD COLUMN etag TEXT NOT NULL DEFAULT '';
UPDATE profile SET etag = version || '-' || lower(hex(randomblob(8)));

CREATE TABLE store (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    store_id  TEXT NOT NULL
);
INSERT INTO store (id, store_id) VALUES (1, lower(hex(randomblob(16))));
