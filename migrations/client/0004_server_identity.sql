-- Which server state the base (and a conflict's server copy) is: its tag, the store that holds
-- it, and the server URL it came from. Versions are compared only within one store; a copy
-- from another store (another server, a recreated one) is compared by content. Rows from
-- before this migration have no tag: their next sync compares contents.
ALTER TABLE profile ADD COLUMN base_etag TEXT;
ALTER TABLE profile ADD COLUMN base_store TEXT;
ALTER TABLE profile ADD COLUMN base_server TEXT;
ALTER TABLE profile ADD COLUMN conflict_etag TEXT;
ALTER TABLE profile ADD COLUMN conflict_store TEXT;
ALTER TABLE profile ADD COLUMN conflict_server TEXT;
