-- Who may use the hub's NATS (docs/security.md, "Compounds apart at the hub"): the hub's own processes and one user per
-- cell, each cell's permissions limited to its own compound's subjects. Only a bcrypt hash is kept (the form
-- nats-server checks); `hub-cli nats-render` writes the nodes' accounts file from these rows. Additive only.
CREATE TABLE hub_nats_user (
    username      text        PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9_-]{1,80}$'),
    -- null for the hub's own user (every subject of the LINLI account); a compound id for a cell's leaf node.
    compound      text        UNIQUE CHECK (compound ~ '^[A-Za-z0-9_-]{1,64}$'),
    password_hash text        NOT NULL CHECK (password_hash ~ '^\$2[aby]\$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
