-- Who a job belongs to (the caller's owner, as the gateway vouched for it), how many times it was handed to ComfyUI,
-- and where its webhook delivery stands, so a restart neither loses nor repeats a delivery.
ALTER TABLE comfy_jobs
    ADD COLUMN owner                text,
    ADD COLUMN created_by_key       text,
    ADD COLUMN attempts             int         NOT NULL DEFAULT 0,
    ADD COLUMN cancel_requested     boolean     NOT NULL DEFAULT false,
    ADD COLUMN webhook_attempts     int         NOT NULL DEFAULT 0,
    ADD COLUMN webhook_delivered_at timestamptz,
    ADD COLUMN webhook_error        text;

CREATE INDEX comfy_jobs_active ON comfy_jobs (status) WHERE status IN ('queued', 'running');
CREATE INDEX comfy_jobs_owner ON comfy_jobs (owner, created_at DESC);

-- Numbered progress events of each job: history for a reconnecting stream, in order, gapless per job.
CREATE TABLE comfy_job_events (
    job_id     uuid        NOT NULL REFERENCES comfy_jobs (id) ON DELETE CASCADE,
    seq        bigint      NOT NULL,
    type       text        NOT NULL,
    data       jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, seq)
);

-- Files a job produced, copied from ComfyUI into the bridge's output folder under a name unique to the bridge.
CREATE TABLE comfy_outputs (
    name         text        PRIMARY KEY,
    job_id       uuid        NOT NULL REFERENCES comfy_jobs (id) ON DELETE CASCADE,
    owner        text,
    node         text        NOT NULL,
    content_type text        NOT NULL,
    bytes        bigint      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX comfy_outputs_created_at ON comfy_outputs (created_at DESC);
