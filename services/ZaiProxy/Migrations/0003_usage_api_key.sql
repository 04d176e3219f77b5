-- The API key that pays for each call: the key a gateway caller used, or the key that started the agent's session.
-- Usage reports group by it and key budgets are counted on it.
ALTER TABLE usage_records ADD COLUMN api_key_id text;
UPDATE usage_records SET api_key_id = key_id WHERE key_id NOT LIKE 'session:%';
CREATE INDEX usage_records_api_key ON usage_records (api_key_id, created_at);
CREATE INDEX usage_records_created_at ON usage_records (created_at);
