-- Second slice of the hub's store (docs/scale-out.md): every key carries the cell database's generation (a cell
-- restored from a backup reuses seqs; under a new generation they are new rows, not silently ignored repeats), and
-- access decisions and alert changes arrive like device events. Rows from before generations existed keep ''.

ALTER TABLE device_event ADD COLUMN generation text NOT NULL DEFAULT '';
ALTER TABLE device_event DROP CONSTRAINT device_event_pkey;
ALTER TABLE device_event ADD PRIMARY KEY (compound, generation, seq);
DROP INDEX device_event_prev;
CREATE INDEX device_event_prev ON device_event (compound, generation, prev_seq);

ALTER TABLE cell_watermark ADD COLUMN generation text NOT NULL DEFAULT '';
ALTER TABLE cell_watermark DROP CONSTRAINT cell_watermark_pkey;
ALTER TABLE cell_watermark ADD PRIMARY KEY (compound, generation, tbl);

-- Door decisions (the cell's AccessEvent); seq is the cell's replication log seq for them.
CREATE TABLE access_event (
    compound        text        NOT NULL,
    generation      text        NOT NULL,
    seq             bigint      NOT NULL,
    prev_seq        bigint      NOT NULL,
    id              text        NOT NULL,
    device_id       text        NOT NULL,
    request_id      text        NOT NULL,
    at              timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    direction       text        NOT NULL,
    credential_type text        NOT NULL,
    decision        text        NOT NULL CHECK (decision IN ('grant', 'deny')),
    reason          text        NOT NULL,
    resident_id     text,
    pass_id         text,
    household_id    text,
    offline         boolean     NOT NULL,
    replicated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (compound, generation, seq),
    CHECK (prev_seq < seq)
);
CREATE INDEX access_event_prev ON access_event (compound, generation, prev_seq);
CREATE INDEX access_event_at ON access_event (compound, at);

-- Alert changes (the cell's AlertHistory, append-only): what happened and the alert right after it.
CREATE TABLE alert_change (
    compound      text        NOT NULL,
    generation    text        NOT NULL,
    seq           bigint      NOT NULL,
    prev_seq      bigint      NOT NULL,
    alert_id      text        NOT NULL,
    at            timestamptz NOT NULL,
    action        text        NOT NULL,
    actor         text        NOT NULL,
    note          text,
    detail        text,
    source        text,
    -- The alert right after the change; null for history rows the cell wrote before it kept snapshots.
    snapshot      jsonb,
    replicated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (compound, generation, seq),
    CHECK (prev_seq < seq)
);
CREATE INDEX alert_change_prev ON alert_change (compound, generation, prev_seq);
CREATE INDEX alert_change_alert ON alert_change (compound, alert_id, at);

-- Each alert as its latest replicated change left it (the district's view of open alerts). A change replaces the
-- stored state only when it is later (by seq within one generation, the cell's commit order; by the change's time
-- across generations): redeliveries and resends out of order never move an alert back.
CREATE TABLE alert (
    compound        text        NOT NULL,
    id              text        NOT NULL,
    generation      text        NOT NULL,
    last_seq        bigint      NOT NULL,
    changed_at      timestamptz NOT NULL,
    type            text        NOT NULL,
    severity        text        NOT NULL,
    status          text        NOT NULL,
    escalation_level integer    NOT NULL,
    first_at        timestamptz NOT NULL,
    last_at         timestamptz NOT NULL,
    snapshot        jsonb       NOT NULL,
    PRIMARY KEY (compound, id)
);
CREATE INDEX alert_open ON alert (status, severity) WHERE status <> 'cleared';

-- The hub's own alerts about cells (hub/cells.ts): "compound gateway offline" (小区网关离线) when a cell's liveness
-- key lapses, cleared when it renews it again. At most one open alert per compound and type.
CREATE TABLE hub_alert (
    compound     text        NOT NULL,
    id           text        NOT NULL,
    type         text        NOT NULL,
    severity     text        NOT NULL,
    title        text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('open', 'cleared')),
    raised_at    timestamptz NOT NULL,
    -- The cell's last sign of life (NATS server time of its last renewal) when the alert was raised.
    last_seen_at timestamptz NOT NULL,
    cleared_at   timestamptz,
    PRIMARY KEY (compound, id)
);
CREATE UNIQUE INDEX hub_alert_one_open ON hub_alert (compound, type) WHERE status = 'open';
