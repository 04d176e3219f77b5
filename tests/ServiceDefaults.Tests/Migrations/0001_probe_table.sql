-- Test migration: a side effect we can count, to see that each migration ran exactly once.
CREATE TABLE migration_probe (id serial PRIMARY KEY, note text NOT NULL);
INSERT INTO migration_probe (note) VALUES ('first');
