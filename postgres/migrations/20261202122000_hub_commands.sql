-- Commands from the hub to a cell (docs/scale-out.md "Commands"): every remote open a hub user sends, who, what, when,
-- and what became of it — the cell's answer and how long it took, or no answer within the timeout (and the answer if
-- it came later). Who may send one: hub users with may_open_doors (docs/security.md). Additive only.

ALTER TABLE hub_user ADD COLUMN may_open_doors boolean NOT NULL DEFAULT false;

CREATE TABLE hub_command (
    id              uuid        PRIMARY KEY,
    compound        text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('door.open')),
    target          text        NOT NULL,
    reason          text        NOT NULL,
    user_id         text        NOT NULL REFERENCES hub_user (id),
    username        text        NOT NULL,
    sent_at         timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    -- pending: sent, no answer yet; answered: the cell answered in time; timeout: no answer within the timeout;
    -- unreachable: no cell listened on the subject (the link or the cell is down; nothing was delivered).
    status          text        NOT NULL CHECK (status IN ('pending', 'answered', 'timeout', 'unreachable')),
    -- The cell's outcome (contracts/commands.ts DoorOpenOutcome) and detail, also when it answered late.
    outcome         text,
    detail          text,
    answered_at     timestamptz,
    latency_ms      integer,
    late            boolean     NOT NULL DEFAULT false
);
CREATE INDEX hub_command_compound_sent ON hub_command (compound, sent_at DESC);
