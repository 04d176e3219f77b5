INSERT INTO migration_probe (note) VALUES ('second');
