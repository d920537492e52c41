-- Up Migration

-- What the service knows of each subscription's state over time: one row per change, from Microsoft's
-- Get Subscription (observed) or from the subscription's workflow (applied, with Microsoft's time).
CREATE TABLE metering_subscription_states (
  subscription_id text NOT NULL,
  since timestamptz NOT NULL,
  status text NOT NULL,
  offer_id text NOT NULL,
  plan_id text NOT NULL,
  term_unit text,
  term_start timestamptz,
  source text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription_id, since)
);

-- When Microsoft was last asked about a subscription (the ingest's cache of its state).
CREATE TABLE metering_subscriptions (
  subscription_id text PRIMARY KEY,
  checked_at timestamptz NOT NULL
);

-- Every usage event as the vendor sent it; `id` is the vendor's idempotency key. `hour` is the UTC hour
-- that bills it: the hour it occurred in, or the next open hour when that one was already closed.
CREATE TABLE usage_events (
  id text PRIMARY KEY,
  subscription_id text NOT NULL,
  dimension text NOT NULL,
  quantity numeric NOT NULL CHECK (quantity > 0),
  occurred_at timestamptz NOT NULL,
  hour timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_events_by_hour ON usage_events (subscription_id, dimension, hour);

-- One row per (subscription, dimension, UTC hour): what Microsoft is told for that hour, and what it said.
CREATE TABLE usage_hours (
  subscription_id text NOT NULL,
  dimension text NOT NULL,
  hour timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'open',
  quantity numeric NOT NULL DEFAULT 0,
  carried_in numeric NOT NULL DEFAULT 0,
  held numeric NOT NULL DEFAULT 0,
  included numeric,
  reported numeric,
  plan_id text,
  reason text,
  usage_event_id text,
  message_time timestamptz,
  accepted_quantity numeric,
  carried_to timestamptz,
  carried_quantity numeric,
  attempts integer NOT NULL DEFAULT 0,
  closed_at timestamptz,
  submitted_at timestamptz,
  resolved_at timestamptz,
  PRIMARY KEY (subscription_id, dimension, hour)
);
CREATE INDEX usage_hours_by_status ON usage_hours (status, hour);

-- Included quantity consumed per term period (month or year from the term's anniversary).
CREATE TABLE included_usage (
  subscription_id text NOT NULL,
  dimension text NOT NULL,
  period_start timestamptz NOT NULL,
  consumed numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (subscription_id, dimension, period_start)
);

-- The daily comparison with Microsoft's GET /usageEvents, per day, subscription and dimension.
CREATE TABLE usage_reconciliations (
  day date NOT NULL,
  subscription_id text NOT NULL,
  dimension text NOT NULL,
  ledger_quantity numeric NOT NULL,
  microsoft_quantity numeric NOT NULL,
  recon_status text,
  finding text NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (day, subscription_id, dimension)
);

-- Down Migration
DROP TABLE usage_reconciliations;
DROP TABLE included_usage;
DROP TABLE usage_hours;
DROP TABLE usage_events;
DROP TABLE metering_subscriptions;
DROP TABLE metering_subscription_states;
