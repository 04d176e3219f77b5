-- Normalized agent events (ARCHITECTURE.md). The runner is the only writer; (session_id, seq) is gapless per session.
CREATE TABLE session_events (
    id         uuid        PRIMARY KEY,
    session_id uuid        NOT NULL,
    seq        bigint      NOT NULL,
    type       text        NOT NULL,
    role       text,
    content    text,
    metadata   jsonb,
    raw        text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX session_events_session_seq ON session_events (session_id, seq);
