-- Each call's row carries the id it was given when priced, so a row replayed from the proxy's spool after a
-- database outage is stored once however often the replay is tried; created_at is then the call's own time.
ALTER TABLE usage_records ADD COLUMN record_id uuid;
CREATE UNIQUE INDEX usage_records_record_id ON usage_records (record_id);
