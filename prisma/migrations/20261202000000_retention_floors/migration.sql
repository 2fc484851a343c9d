-- Retention (db/retention.ts, docs/privacy.md): old records may now be deleted, but never younger than their legal
-- floor, whatever the configuration or a hand-typed DELETE says. Times are stored as ISO 8601 text in UTC, which
-- compares correctly with strftime's output.

-- The audit log stays append-only: no row is rewritten, and none younger than 180 days (six months of logs) is erased.
DROP TRIGGER "AuditLog_no_delete";
CREATE TRIGGER "AuditLog_no_delete" BEFORE DELETE ON "AuditLog"
WHEN OLD."at" >= strftime('%Y-%m-%dT%H:%M:%f', 'now', '-180 days')
BEGIN SELECT RAISE(ABORT, 'AuditLog rows younger than 180 days cannot be deleted'); END;

-- An alert's history is erased only with its alert, once that alert has been cleared for 30 days.
DROP TRIGGER "AlertHistory_no_delete";
CREATE TRIGGER "AlertHistory_no_delete" BEFORE DELETE ON "AlertHistory"
WHEN NOT EXISTS (
  SELECT 1 FROM "Alert" WHERE "id" = OLD."alertId" AND "status" = 'cleared'
    AND "clearedAt" < strftime('%Y-%m-%dT%H:%M:%f', 'now', '-30 days')
)
BEGIN SELECT RAISE(ABORT, 'AlertHistory is kept until its alert has been cleared for 30 days'); END;

CREATE TRIGGER "Alert_no_early_delete" BEFORE DELETE ON "Alert"
WHEN OLD."status" != 'cleared' OR OLD."clearedAt" >= strftime('%Y-%m-%dT%H:%M:%f', 'now', '-30 days')
BEGIN SELECT RAISE(ABORT, 'an alert is kept until it has been cleared for 30 days'); END;

-- Access records: at least 30 days (local public-security rules).
CREATE TRIGGER "AccessEvent_no_early_delete" BEFORE DELETE ON "AccessEvent"
WHEN OLD."at" >= strftime('%Y-%m-%dT%H:%M:%f', 'now', '-30 days')
BEGIN SELECT RAISE(ABORT, 'access records are kept at least 30 days'); END;
