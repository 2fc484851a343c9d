-- Hub users and their scopes (docs/scale-out.md, "Hub users and scopes"): the street office's and district's people
-- sign in to the hub, each seeing one compound, one street (a set of compounds) or the whole district. Additive only.

-- Streets (街道): a street office sees the compounds registered under it.
CREATE TABLE hub_street (
    id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The compound registry: a compound id as the cells send it, its name and its street. A compound seen in replicated
-- rows but not registered here is still shown to district users (as 未登记, "not registered"), never hidden.
CREATE TABLE hub_compound (
    id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    street_id  text        REFERENCES hub_street (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hub_compound_street ON hub_compound (street_id);

-- People who sign in to the hub. scope 'district' sees everything; 'street' the compounds of scope_id; 'compound'
-- the one compound scope_id. Passwords are argon2id (the cell's auth/hash.ts).
CREATE TABLE hub_user (
    id            text        PRIMARY KEY DEFAULT gen_random_uuid()::text,
    username      text        NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{2,64}$'),
    display_name  text        NOT NULL,
    password_hash text        NOT NULL,
    scope         text        NOT NULL CHECK (scope IN ('district', 'street', 'compound')),
    scope_id      text,
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'district') = (scope_id IS NULL))
);

-- Bearer sessions: only the token's SHA-256 is stored (a database leak yields no usable token).
CREATE TABLE hub_session (
    token_hash text        PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES hub_user (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX hub_session_user ON hub_session (user_id);

-- Notes the hub adds to an alert (a replicated cell alert or the hub's own 小区网关离线): shown with the alert at the
-- hub. Acknowledging stays with the compound's guards; a note changes nothing at the cell.
CREATE TABLE hub_alert_note (
    id         bigserial   PRIMARY KEY,
    compound   text        NOT NULL,
    alert_id   text        NOT NULL,
    author     text        NOT NULL,
    body       text        NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hub_alert_note_alert ON hub_alert_note (compound, alert_id, at);
