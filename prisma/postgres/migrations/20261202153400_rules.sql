-- Hand-written (scripts/gen-postgres-schema.ts never touches it): what Prisma's schema language cannot say, the same
-- rules the SQLite migrations write for the cell, in PostgreSQL's words. docs/storage.md lists both side by side.

-- One open alert per condition (the dedup key); a cleared alert frees the key.
CREATE UNIQUE INDEX "Alert_one_open_per_condition" ON "Alert"("dedupKey") WHERE "status" <> 'cleared';

-- The audit log is append-only; a row is deleted only by retention, once it is 180 days old.
CREATE FUNCTION linli_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'AuditLog is append-only'; END IF;
  IF OLD."at" >= now() - interval '180 days' THEN RAISE EXCEPTION 'AuditLog rows younger than 180 days cannot be deleted'; END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER "AuditLog_append_only" BEFORE UPDATE OR DELETE ON "AuditLog" FOR EACH ROW EXECUTE FUNCTION linli_audit_append_only();

-- An alert's history is append-only and erased only with its alert, once that alert has been cleared for 30 days.
CREATE FUNCTION linli_alert_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'AlertHistory is append-only'; END IF;
  IF NOT EXISTS (SELECT 1 FROM "Alert" WHERE "id" = OLD."alertId" AND "status" = 'cleared' AND "clearedAt" < now() - interval '30 days') THEN
    RAISE EXCEPTION 'AlertHistory is kept until its alert has been cleared for 30 days';
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER "AlertHistory_append_only" BEFORE UPDATE OR DELETE ON "AlertHistory" FOR EACH ROW EXECUTE FUNCTION linli_alert_history_append_only();

CREATE FUNCTION linli_alert_no_early_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."status" <> 'cleared' OR OLD."clearedAt" >= now() - interval '30 days' THEN
    RAISE EXCEPTION 'an alert is kept until it has been cleared for 30 days';
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER "Alert_no_early_delete" BEFORE DELETE ON "Alert" FOR EACH ROW EXECUTE FUNCTION linli_alert_no_early_delete();

-- Access records: at least 30 days (local public-security rules).
CREATE FUNCTION linli_access_no_early_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."at" >= now() - interval '30 days' THEN RAISE EXCEPTION 'access records are kept at least 30 days'; END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER "AccessEvent_no_early_delete" BEFORE DELETE ON "AccessEvent" FOR EACH ROW EXECUTE FUNCTION linli_access_no_early_delete();

-- Replication seqs (docs/scale-out.md), in the writing transaction, on a replicating cell only (once the stream's
-- cursor row exists): access decisions, staff logins and logouts, device presence transitions.
CREATE FUNCTION linli_replicate_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "ReplicationCursor" WHERE "stream" = 'access_event') THEN
    INSERT INTO "ReplicationLog" ("stream", "rowId") VALUES ('access_event', NEW."id");
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "AccessEvent_replication_log" AFTER INSERT ON "AccessEvent" FOR EACH ROW EXECUTE FUNCTION linli_replicate_access();

CREATE FUNCTION linli_replicate_session() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  op text;
  at timestamptz;
BEGIN
  IF NEW."role" = 'resident' OR NOT EXISTS (SELECT 1 FROM "ReplicationCursor" WHERE "stream" = 'session_event') THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    op := 'login';
    at := NEW."createdAt";
  ELSIF OLD."revokedAt" IS NULL AND NEW."revokedAt" IS NOT NULL THEN
    op := 'logout';
    at := NEW."revokedAt";
  ELSE
    RETURN NULL;
  END IF;
  INSERT INTO "ReplicationLog" ("stream", "rowId", "op", "at", "data")
  VALUES ('session_event', NEW."tokenHash", op, at,
          json_build_object('userId', NEW."userId", 'role', NEW."role", 'username', (SELECT u."username" FROM "User" u WHERE u."id" = NEW."userId"))::text);
  RETURN NULL;
END $$;
CREATE TRIGGER "Session_replication" AFTER INSERT OR UPDATE OF "revokedAt" ON "Session" FOR EACH ROW EXECUTE FUNCTION linli_replicate_session();

CREATE FUNCTION linli_replicate_presence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."online" IS NOT DISTINCT FROM NEW."online" OR NOT EXISTS (SELECT 1 FROM "ReplicationCursor" WHERE "stream" = 'device_presence') THEN RETURN NULL; END IF;
  INSERT INTO "ReplicationLog" ("stream", "rowId", "op", "at")
  VALUES ('device_presence', NEW."id", CASE WHEN NEW."online" THEN 'online' ELSE 'offline' END,
          CASE WHEN NEW."lastSeenAt" IS NOT NULL AND NEW."lastSeenAt" IS DISTINCT FROM OLD."lastSeenAt" THEN NEW."lastSeenAt" ELSE now() END);
  RETURN NULL;
END $$;
CREATE TRIGGER "Device_replication_presence" AFTER UPDATE OF "online" ON "Device" FOR EACH ROW EXECUTE FUNCTION linli_replicate_presence();
