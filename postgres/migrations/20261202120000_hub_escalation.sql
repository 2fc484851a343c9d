-- Escalation at the hub (docs/scale-out.md "Escalation at the hub"): each compound's chain above it, the hub's own
-- 小区网关离线 moving up that chain until someone at the hub acknowledges it, the hub's steps for replicated alerts
-- whose cell could not escalate them, and a durable outbox of webhook deliveries. Additive only.

-- A chain above the compound: levels 1.. (level 0 is the compound's own guards, on the cell). Configured for one
-- compound, or as the default of a street or of the district (scope_id '' for the district); the most specific wins.
CREATE TABLE hub_chain_level (
    scope_kind  text        NOT NULL CHECK (scope_kind IN ('compound', 'street', 'district')),
    scope_id    text        NOT NULL,
    level       integer     NOT NULL CHECK (level BETWEEN 1 AND 20),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The level's webhook; null: nobody at this level can be told (shown as such, never silent).
    webhook_url text        CHECK (webhook_url ~ '^https?://'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_kind, scope_id, level),
    CHECK ((scope_kind = 'district') = (scope_id = ''))
);

-- The hub's own alert moves up the chain: the level it reached (0: nobody told yet), when it moves on unless
-- acknowledged, and who acknowledged it at the hub. An acknowledged alert stays open until the cell returns.
ALTER TABLE hub_alert ADD COLUMN escalation_level integer NOT NULL DEFAULT 0;
ALTER TABLE hub_alert ADD COLUMN next_deadline_at timestamptz;
ALTER TABLE hub_alert ADD COLUMN acked_by text;
ALTER TABLE hub_alert ADD COLUMN acked_at timestamptz;
CREATE INDEX hub_alert_deadline ON hub_alert (next_deadline_at) WHERE status = 'open' AND next_deadline_at IS NOT NULL;

-- Replicated alerts the hub escalated because their cell did not: the hub chain level reached, and the cell's
-- deadline the last step answered (one step per passed deadline, whoever runs the sweep, however often).
CREATE TABLE hub_cell_escalation (
    compound         text        NOT NULL,
    alert_id         text        NOT NULL,
    level            integer     NOT NULL CHECK (level >= 1),
    cell_deadline_at timestamptz NOT NULL,
    at               timestamptz NOT NULL,
    PRIMARY KEY (compound, alert_id)
);

-- What the hub did with an alert (its own or a replicated one), as history beside the cell's: raised / escalated /
-- acknowledged at the hub, with a code (escalated_no_ack, cell_deadline_passed, escalation_top …) and its detail.
CREATE TABLE hub_escalation_step (
    id        bigserial   PRIMARY KEY,
    compound  text        NOT NULL,
    alert_id  text        NOT NULL,
    source    text        NOT NULL CHECK (source IN ('hub', 'cell')),
    at        timestamptz NOT NULL,
    action    text        NOT NULL,
    actor     text        NOT NULL,
    level     integer     NOT NULL,
    code      text        NOT NULL,
    detail    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX hub_escalation_step_alert ON hub_escalation_step (compound, alert_id, at);

-- The outbox: one row per delivery owed to a level, written in the same transaction as the step. A level without a
-- channel gets a row too (status no_channel), so "nobody was told" is recorded, not silent. attempts is counted
-- before each call; next_at is the retry time (and a lease while an attempt is in flight).
CREATE TABLE hub_notification (
    id           text        PRIMARY KEY,
    compound     text        NOT NULL,
    alert_id     text        NOT NULL,
    level        integer     NOT NULL,
    level_name   text        NOT NULL,
    target       text,
    body         text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'no_channel')),
    attempts     integer     NOT NULL DEFAULT 0,
    next_at      timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz
);
CREATE INDEX hub_notification_due ON hub_notification (next_at) WHERE status = 'pending';
CREATE INDEX hub_notification_alert ON hub_notification (compound, alert_id);
