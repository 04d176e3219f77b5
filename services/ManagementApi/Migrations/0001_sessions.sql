-- Sessions as ManagementApi tracks them; the runner reports status changes over gRPC.
CREATE TABLE sessions (
    id              uuid        PRIMARY KEY,
    agent           text        NOT NULL,
    task            text        NOT NULL,
    provider        text,
    model           text,
    status          text        NOT NULL,
    owner_key_id    uuid,
    timeout_seconds integer,
    budget_usd      numeric(12, 6),
    exit_code       integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    ended_at        timestamptz
);

CREATE INDEX sessions_created_at ON sessions (created_at DESC);
