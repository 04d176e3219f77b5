-- The runner owns its sessions' record: who asked for what. Their state is the latest lifecycle event in session_events.
CREATE TABLE agent_sessions (
    id              uuid        PRIMARY KEY,
    owner           text        NOT NULL,
    created_by_key  text,
    agent           text        NOT NULL,
    task            text        NOT NULL,
    provider        text,
    model           text,
    timeout_seconds integer,
    budget_usd      numeric(12, 6),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX agent_sessions_created_at ON agent_sessions (created_at DESC);
CREATE INDEX agent_sessions_owner_created_at ON agent_sessions (owner, created_at DESC);

-- ManagementApi kept this record until now, in its table sessions, which its migration 0003 hands over as
-- sessions_handover. The two services migrate in either order, so whichever of the two names is there is taken.
DO $$
DECLARE
    old text;
BEGIN
    FOREACH old IN ARRAY ARRAY['sessions_handover', 'sessions'] LOOP
        IF to_regclass(old) IS NOT NULL THEN
            EXECUTE format(
                'INSERT INTO agent_sessions (id, owner, created_by_key, agent, task, provider, model, timeout_seconds, budget_usd, created_at)
                 SELECT id, owner, created_by_key, agent, task, provider, model, timeout_seconds, budget_usd, created_at FROM %I
                 ON CONFLICT (id) DO NOTHING', old);
            EXECUTE format('DROP TABLE %I', old);
        END IF;
    END LOOP;
END $$;
