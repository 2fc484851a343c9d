-- Hub users managed from the duty desk page (docs/scale-out.md, "Managing hub users"): a user may be allowed to manage
-- the users inside its own scope; a password set by someone else is one-time (changed at the next sign-in); every
-- change to an account is recorded. Additive only.
ALTER TABLE hub_user ADD COLUMN manages_users boolean NOT NULL DEFAULT false;
ALTER TABLE hub_user ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
ALTER TABLE hub_user ADD COLUMN created_by text;

-- Who changed which account, and how (created, password_reset, disabled, enabled, password_changed). Never a password.
CREATE TABLE hub_user_audit (
    id       bigserial   PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text        NOT NULL,
    action   text        NOT NULL CHECK (action IN ('created', 'password_reset', 'disabled', 'enabled', 'password_changed')),
    target   text        NOT NULL,
    detail   jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX hub_user_audit_target ON hub_user_audit (target, at);
