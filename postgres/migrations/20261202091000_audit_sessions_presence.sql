-- Third slice of the hub's store (docs/scale-out.md): the cells' audit records, staff logins/logouts and device
-- presence transitions, keyed like the other replicated tables by (compound, generation, seq) with the prev link the
-- watermark follows. Additive only.

-- Audit records (the cell's AuditLog, append-only; seq is its id). detail is the JSON text the cell stored, redacted there.
CREATE TABLE audit_log (
    compound      text        NOT NULL,
    generation    text        NOT NULL,
    seq           bigint      NOT NULL,
    prev_seq      bigint      NOT NULL,
    at            timestamptz NOT NULL,
    actor         text        NOT NULL,
    action        text        NOT NULL,
    entity        text        NOT NULL,
    entity_id     text        NOT NULL,
    detail        text        NOT NULL,
    replicated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (compound, generation, seq),
    CHECK (prev_seq < seq)
);
CREATE INDEX audit_log_prev ON audit_log (compound, generation, prev_seq);
CREATE INDEX audit_log_at ON audit_log (compound, at);
CREATE INDEX audit_log_entity ON audit_log (compound, entity, entity_id);

-- Staff sessions: a login and, later, its logout (residents' sessions stay on the cell). session_ref is a one-way
-- digest that pairs the two; no token and no token hash ever reaches the hub.
CREATE TABLE session_event (
    compound      text        NOT NULL,
    generation    text        NOT NULL,
    seq           bigint      NOT NULL,
    prev_seq      bigint      NOT NULL,
    session_ref   text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('login', 'logout')),
    at            timestamptz NOT NULL,
    user_id       text        NOT NULL,
    username      text,
    role          text        NOT NULL,
    replicated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (compound, generation, seq),
    CHECK (prev_seq < seq)
);
CREATE INDEX session_event_prev ON session_event (compound, generation, prev_seq);
CREATE INDEX session_event_user ON session_event (compound, user_id, at);

-- Device presence transitions (online ↔ offline), never heartbeats.
CREATE TABLE device_presence (
    compound      text        NOT NULL,
    generation    text        NOT NULL,
    seq           bigint      NOT NULL,
    prev_seq      bigint      NOT NULL,
    device_id     text        NOT NULL,
    online        boolean     NOT NULL,
    at            timestamptz NOT NULL,
    replicated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (compound, generation, seq),
    CHECK (prev_seq < seq)
);
CREATE INDEX device_presence_prev ON device_presence (compound, generation, prev_seq);
CREATE INDEX device_presence_device ON device_presence (compound, device_id, at);
