-- Cell → hub replication, third slice (docs/scale-out.md): staff sessions (logins and logouts) and device presence
-- transitions get replication seqs from ReplicationLog, like access decisions; the audit log replicates by its own id.
-- The log row keeps what the change was (op), when (at) and what the hub needs of it (data, JSON): a session's token
-- or its hash never leaves the cell. Additive only.

-- AlterTable
ALTER TABLE "ReplicationLog" ADD COLUMN "at" DATETIME;
ALTER TABLE "ReplicationLog" ADD COLUMN "data" TEXT;
ALTER TABLE "ReplicationLog" ADD COLUMN "op" TEXT;

-- A staff member logs in (residents' sessions stay on the cell): in the insert's own transaction, on a replicating
-- cell only (once the session_event cursor row exists; earlier sessions are entered when it is created).
CREATE TRIGGER "Session_replication_login" AFTER INSERT ON "Session"
WHEN NEW."role" <> 'resident' AND EXISTS (SELECT 1 FROM "ReplicationCursor" WHERE "stream" = 'session_event')
BEGIN INSERT INTO "ReplicationLog" ("stream", "rowId", "op", "at", "data") VALUES ('session_event', NEW."tokenHash", 'login', NEW."createdAt", json_object('userId', NEW."userId", 'role', NEW."role", 'username', (SELECT u."username" FROM "User" u WHERE u."id" = NEW."userId"))); END;

-- ... and out (logout, or an admin's revocation): revokedAt is set once, never cleared.
CREATE TRIGGER "Session_replication_logout" AFTER UPDATE OF "revokedAt" ON "Session"
WHEN OLD."revokedAt" IS NULL AND NEW."revokedAt" IS NOT NULL AND NEW."role" <> 'resident' AND EXISTS (SELECT 1 FROM "ReplicationCursor" WHERE "stream" = 'session_event')
BEGIN INSERT INTO "ReplicationLog" ("stream", "rowId", "op", "at", "data") VALUES ('session_event', NEW."tokenHash", 'logout', NEW."revokedAt", json_object('userId', NEW."userId", 'role', NEW."role", 'username', (SELECT u."username" FROM "User" u WHERE u."id" = NEW."userId"))); END;

-- A device goes online or offline: only a change of Device.online (a repeated login or a heartbeat is none), at the
-- time the presence writer stored with it (lastSeenAt), else now (the start-up "all offline").
CREATE TRIGGER "Device_replication_presence" AFTER UPDATE OF "online" ON "Device"
WHEN OLD."online" IS NOT NEW."online" AND EXISTS (SELECT 1 FROM "ReplicationCursor" WHERE "stream" = 'device_presence')
BEGIN INSERT INTO "ReplicationLog" ("stream", "rowId", "op", "at") VALUES ('device_presence', NEW."id", CASE WHEN NEW."online" THEN 'online' ELSE 'offline' END, CASE WHEN NEW."lastSeenAt" IS NOT NULL AND NEW."lastSeenAt" IS NOT OLD."lastSeenAt" THEN NEW."lastSeenAt" ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END); END;
