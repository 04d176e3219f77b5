-- Task templates: a prompt with {{variable}} placeholders, a JSON Schema for the variables, and session defaults.
CREATE TABLE templates (
    id               uuid          PRIMARY KEY,
    name             text          NOT NULL,
    description      text          NOT NULL DEFAULT '',
    category         text          NOT NULL DEFAULT 'general',
    prompt           text          NOT NULL,
    variables_schema jsonb         NOT NULL,
    agent            text          NOT NULL DEFAULT 'claude',
    model            text,
    timeout_seconds  integer,
    budget_usd       numeric(12, 6),
    approval_policy  text,
    usage_count      integer       NOT NULL DEFAULT 0,
    created_by       text          NOT NULL,
    created_at       timestamptz   NOT NULL DEFAULT now(),
    updated_at       timestamptz   NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX templates_name ON templates (lower(name));
CREATE INDEX templates_category ON templates (category, name);
