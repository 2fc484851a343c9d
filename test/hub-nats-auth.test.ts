// The hub's NATS accounts file (gateway/src/hub/nats-auth.ts, docs/security.md "Compounds apart at the hub"): what
// hub-cli writes is a configuration the real nats-server accepts, with a cell's permissions naming its own compound.
// The permissions' effect between two compounds is shown on a running hub by test/cluster/hub-isolation.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { CompoundId } from '../gateway/src/contracts/replication';
import { cellPermissions, renderNatsAuth, writeNatsAuthFile } from '../gateway/src/hub/nats-auth';

const run = promisify(execFile);

describe('the hub NATS accounts file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-natsauth-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is accepted by nats-server with the hub user, two cells and the NOBODY account for leaf nodes without a user', async () => {
    const hash = bcrypt.hashSync('a-password-of-some-length', 4);
    const text = renderNatsAuth(
      [
        { username: 'hub', compound: null, password_hash: hash },
        { username: 'cell-c1', compound: 'c1', password_hash: hash },
        { username: 'cell-c2', compound: 'c2', password_hash: hash },
      ],
      'linli-hub',
    );
    writeNatsAuthFile(join(dir, 'auth.conf'), text);
    writeFileSync(
      join(dir, 'node.conf'),
      'listen: 127.0.0.1:-1\njetstream { domain: linli-hub, store_dir: "' + join(dir, 'js') + '" }\ninclude "auth.conf"\nleafnodes { listen: 127.0.0.1:-1, authorization { account: NOBODY } }\n',
    );
    const { stderr } = await run('/usr/sbin/nats-server', ['-c', join(dir, 'node.conf'), '-t']);
    expect(stderr).toMatch(/configuration file .* is valid/);
    expect(text).toContain('"cell-c1"');
    expect(text).not.toContain('a-password-of-some-length');
  });

  it("gives a cell only its own compound's subjects", () => {
    const p = cellPermissions('c1', 'linli-hub');
    for (const subject of [...p.publish, ...p.subscribe]) {
      // Every subject names c1, or is a JetStream read that names no compound (account info, the watermark bucket).
      expect(subject.includes('c1') || /(INFO|STREAM\.MSG\.GET\.KV_linli_watermarks)$/.test(subject)).toBe(true);
      expect(subject).not.toMatch(/^(linli|linli-cmd|linli-re)\.(\*|>)/);
    }
    expect(p.subscribe).toEqual(['linli-cmd.c1.>', '_INBOX_c1.>']);
  });

  it('refuses the downlink subjects as compound ids (linli.down.… is not a compound)', () => {
    expect(CompoundId.safeParse('down').success).toBe(false);
    expect(CompoundId.safeParse('down-result').success).toBe(false);
    expect(CompoundId.safeParse('downtown').success).toBe(true);
  });
});
