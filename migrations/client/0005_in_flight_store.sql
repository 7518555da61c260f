-- Which store the base of each unanswered push came from: versions count within one store
-- only, so "that push landed" is decided against the same store ('' : a create, or recorded
-- before stores were known).
ALTER TABLE in_flight ADD COLUMN base_store TEXT NOT NULL DEFAULT '';
