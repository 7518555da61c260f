-- What the last push sent, kept until the server's answer is recorded. If the answer was lost
-- (a cut connection, a crash) and the server's copy turns out to be exactly what was sent, the
-- write landed: the client rebases onto it instead of reporting a conflict with itself.
ALTER TABLE profile ADD COLUMN sent_name TEXT;
ALTER TABLE profile ADD COLUMN sent_photo_url TEXT;
ALTER TABLE profile ADD COLUMN sent_base_version INTEGER;
