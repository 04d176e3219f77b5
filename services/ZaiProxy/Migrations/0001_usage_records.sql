-- One row per upstream model call, priced when it completes.
CREATE TABLE usage_records (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id            uuid,
    key_id                text,
    model                 text        NOT NULL,
    input_tokens          bigint      NOT NULL DEFAULT 0,
    output_tokens         bigint      NOT NULL DEFAULT 0,
    cache_creation_tokens bigint      NOT NULL DEFAULT 0,
    cache_read_tokens     bigint      NOT NULL DEFAULT 0,
    cost_usd              numeric(14, 8) NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX usage_records_session ON usage_records (session_id, created_at);
CREATE INDEX usage_records_key ON usage_records (key_id, created_at);
