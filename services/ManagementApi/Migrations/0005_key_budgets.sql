-- A key may carry a spending cap, over the calendar month (UTC) or over all time. Its sessions are refused, and
-- their model calls stopped (402 budget_exceeded), once the calls it paid for reach it.
ALTER TABLE api_keys ADD COLUMN budget_usd numeric(14, 6) CHECK (budget_usd >= 0);
ALTER TABLE api_keys ADD COLUMN budget_period text NOT NULL DEFAULT 'month' CHECK (budget_period IN ('month', 'total'));
