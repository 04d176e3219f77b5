-- Sessions are SessionRunner's to keep (its agent_sessions); their status lives in its session_events. This table is
-- handed over. The services migrate one at a time (one advisory lock) but in either order: if the runner has its
-- table already, the rows go straight into it; if not, the table waits as sessions_handover for the runner's
-- migration 0003, which copies from it and drops it.
DO $$
BEGIN
    IF to_regclass('sessions') IS NULL THEN
        RETURN;
    END IF;
    IF to_regclass('agent_sessions') IS NOT NULL THEN
        INSERT INTO agent_sessions (id, owner, created_by_key, agent, task, provider, model, timeout_seconds, budget_usd, created_at)
        SELECT id, owner, created_by_key, agent, task, provider, model, timeout_seconds, budget_usd, created_at FROM sessions
        ON CONFLICT (id) DO NOTHING;
        DROP TABLE sessions;
    ELSE
        ALTER TABLE sessions RENAME TO sessions_handover;
    END IF;
END $$;
