-- Several bridges may share the database: each in-flight job is followed by one of them, the one named in bridge_id
-- (null for jobs recorded before replicas, which the first bridge to look claims). A bridge keeps its row in
-- comfy_bridges fresh; when it stops doing so for a lease, another bridge claims its jobs and undelivered webhooks.
ALTER TABLE comfy_jobs ADD COLUMN bridge_id text;

CREATE TABLE comfy_bridges (
    bridge_id    text        PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now()
);
