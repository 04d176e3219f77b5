-- The session whose budget each call counts against: its own, or, for a child an agent started, its tree's root.
ALTER TABLE usage_records ADD COLUMN budget_session_id uuid;
UPDATE usage_records SET budget_session_id = session_id;
CREATE INDEX usage_records_budget_session ON usage_records (budget_session_id) WHERE budget_session_id IS NOT NULL;
