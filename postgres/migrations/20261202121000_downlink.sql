-- Hub → cell downlink (docs/scale-out.md "The downlink"): every command a hub user sends to a compound, stored here
-- before it is published (this table is the hub's outbox: a row still 'pending' is published again), with the cell's
-- answer once it comes. Additive only.

-- The last command seq handed out per compound: taken with an upsert in the command's own transaction, so seqs are
-- gapless and in the order the commands were accepted.
CREATE TABLE downlink_seq (
    compound  text   PRIMARY KEY CHECK (compound ~ '^[A-Za-z0-9_-]{1,64}$'),
    last_seq  bigint NOT NULL
);

CREATE TABLE downlink_command (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    compound      text        NOT NULL CHECK (compound ~ '^[A-Za-z0-9_-]{1,64}$'),
    seq           bigint      NOT NULL,
    kind          text        NOT NULL,
    body          jsonb       NOT NULL,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'applied', 'refused')),
    published_at  timestamptz,
    applied_at    timestamptz,
    entity_id     text,
    error_code    text,
    error         text,
    -- A pass's code and QR payload or a drawn PIN, kept until the sender has read it once.
    secret        jsonb,
    UNIQUE (compound, seq)
);
CREATE INDEX downlink_command_pending ON downlink_command (compound, seq) WHERE status = 'pending';
CREATE INDEX downlink_command_recent ON downlink_command (compound, created_at);
