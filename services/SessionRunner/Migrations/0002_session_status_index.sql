-- Lifecycle events carry the session's state under metadata.sessionStatus; the latest one is the state.
CREATE INDEX session_events_lifecycle ON session_events (session_id, seq DESC) WHERE metadata ? 'sessionStatus';
