-- Tool uses an agent asked permission for (through its permission prompt tool) and what became of them.
-- The runner is the only writer: it queues them, and decides them when a person (through ManagementApi) or the timeout does.
CREATE TABLE approvals (
    id                 uuid        PRIMARY KEY,
    session_id         uuid        NOT NULL,
    owner              text        NOT NULL,
    tool_name          text        NOT NULL,
    tool_use_id        text,
    input              jsonb       NOT NULL,
    risk               text        NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    reason             text        NOT NULL,
    status             text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by         text,
    decided_at         timestamptz,
    message            text,
    updated_input      jsonb,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX approvals_pending ON approvals (created_at) WHERE status = 'pending';
CREATE INDEX approvals_session ON approvals (session_id, created_at);
CREATE INDEX approvals_owner ON approvals (owner, created_at);
