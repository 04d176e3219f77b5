-- Agents start sessions of their own through the fleet's MCP tools: each child records the session that created it
-- and its depth (1: started by a person), which bounds how deep the tree may grow.
ALTER TABLE agent_sessions ADD COLUMN parent_session_id uuid;
ALTER TABLE agent_sessions ADD COLUMN depth integer NOT NULL DEFAULT 1;
CREATE INDEX agent_sessions_parent ON agent_sessions (parent_session_id, created_at DESC) WHERE parent_session_id IS NOT NULL;
