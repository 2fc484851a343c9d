-- The district hub's PostgreSQL (gateway/src/hub/, docs/scale-out.md): rows replicated from the cells, keyed by
-- (compound, seq) per table, and per cell and table the committed watermark (highest seq with no gap before it).
-- Applied by the hub at start, in one transaction, under an advisory lock (several hub writers may start at once).
-- Timestamps are timestamptz: a +08:00 time written into a plain timestamp reads back eight hours off.

CREATE TABLE device_event (
    compound        text        NOT NULL,
    seq             bigint      NOT NULL,
    -- The seq of the row the cell replicated just before this one (0 for its first): the watermark follows these links.
    prev_seq        bigint      NOT NULL,
    device_id       text        NOT NULL,
    event_id        text        NOT NULL,
    channel         text        NOT NULL,
    payload         text        NOT NULL,
    device_time     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    reused_event_id boolean     NOT NULL,
    replicated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (compound, seq),
    CHECK (prev_seq < seq)
);
CREATE INDEX device_event_prev ON device_event (compound, prev_seq);
CREATE INDEX device_event_channel_time ON device_event (compound, channel, received_at);

CREATE TABLE cell_watermark (
    compound     text        NOT NULL,
    tbl          text        NOT NULL,
    seq          bigint      NOT NULL,
    committed_at timestamptz NOT NULL,
    PRIMARY KEY (compound, tbl)
);
