-- Several runners share one database: each session belongs to the runner that holds its directory and its agent
-- (its runner_id), and each runner announces itself, its address and its load in runners, renewed by a heartbeat,
-- so ManagementApi can send a session's commands to its owner and place new sessions on the least-loaded runner.
ALTER TABLE agent_sessions ADD COLUMN runner_id text;
CREATE INDEX agent_sessions_runner ON agent_sessions (runner_id);

CREATE TABLE runners (
    runner_id         text        PRIMARY KEY,
    grpc_address      text,
    active            integer     NOT NULL DEFAULT 0,
    queued            integer     NOT NULL DEFAULT 0,
    max_concurrent    integer     NOT NULL DEFAULT 0,
    sandbox_available boolean     NOT NULL DEFAULT true,
    started_at        timestamptz NOT NULL,
    heartbeat_at      timestamptz NOT NULL
);
