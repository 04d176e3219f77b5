-- ComfyUI workflow jobs, so status survives a restart of the bridge or of ComfyUI.
CREATE TABLE comfy_jobs (
    id           uuid        PRIMARY KEY,
    owner_key_id uuid,
    server       text,
    prompt_id    text,
    status       text        NOT NULL,
    workflow     jsonb       NOT NULL,
    webhook_url  text,
    outputs      jsonb,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    ended_at     timestamptz
);

CREATE INDEX comfy_jobs_created_at ON comfy_jobs (created_at DESC);
