import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuditPage } from '../gateway/src/contracts/api/admin-people';
import { DeviceStates, SitePlan } from '../gateway/src/contracts/api/site';
import { DrawingMeta, PlanCompounds, PlanEditor, PlanItem } from '../gateway/src/contracts/api/site-plan';
import { addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';
import { addEastCompound, drawnPng } from './helpers/site-plan';

const SVG_OK = `<?xml version="1.0" encoding="UTF-8"?>
<!-- drawn in the property office -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 500" width="800" height="500">
  <rect x="0" y="0" width="800" height="500" fill="#eee"/><rect x="100" y="100" width="120" height="60" fill="#999"/>
  <text x="110" y="90">1号楼</text>
</svg>`;

describe('site plan from a drawing: upload, placement, per compound', () => {
  let t: TestGateway;
  let api: ApiClient;
  let admin: string;
  let guard: string;
  let manager: string;

  beforeAll(async () => {
    t = await startGateway({ UI_DIST_DIR: '' });
    const c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    const east = await addEastCompound(t.gw.db.prisma);
    api = apiClient(t.httpUrl);
    admin = await api.login(c.users.admin);
    guard = await api.login(c.users.guard);
    manager = await api.login(east.manager);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** PUT raw bytes, as the admin page does. */
  const upload = async (communityId: string, token: string, body: Buffer | string, type = 'application/octet-stream') => {
    const res = await fetch(`${t.httpUrl}/api/v1/site/plans/${communityId}/drawing`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body) });
    const text = await res.text();
    const parsed: unknown = text === '' ? null : JSON.parse(text);
    return { status: res.status, body: parsed };
  };
  const place = (communityId: string, token: string, kind: string, id: string, p: { x: number; y: number }) => api.call('PUT', `/api/v1/site/plans/${communityId}/placements/${kind}/${id}`, token, p);
  const audit = async (action: string) => AuditPage.parse((await api.get(`/api/v1/admin/audit?action=${encodeURIComponent(action)}`, admin)).body).entries;

  it('stores a PNG drawing, reads its size from the bytes, serves it back inert, and audits it', async () => {
    const png = drawnPng(320, 200, [{ x: 40, y: 40, w: 60, h: 30, rgb: [120, 120, 120] }]);
    // Labelled as SVG on purpose: the type comes from the content.
    const r = await upload('test-community', admin, png, 'image/svg+xml');
    expect(r.status).toBe(200);
    const meta = DrawingMeta.parse(r.body);
    expect(meta).toMatchObject({ contentType: 'image/png', width: 320, height: 200, bytes: png.length, uploadedBy: 'admin:admin' });

    const served = await fetch(`${t.httpUrl}${meta.url}`, { headers: { authorization: `Bearer ${guard}` } });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);

    const rows = await audit('site_plan.upload_drawing');
    expect(rows[0]).toMatchObject({ actor: 'admin:admin', entity: 'SitePlanDrawing', entityId: 'test-community' });
    expect(rows[0]?.detail).toMatchObject({ before: null, after: { contentType: 'image/png', width: 320, height: 200 } });
  });

  it('accepts a plain SVG drawing and serves it sandboxed, as an image, with no script allowed', async () => {
    const r = await upload('east', manager, SVG_OK, 'image/svg+xml');
    expect(r.status).toBe(200);
    const meta = DrawingMeta.parse(r.body);
    expect(meta).toMatchObject({ contentType: 'image/svg+xml', width: 800, height: 500, uploadedBy: 'property_manager:pm-east' });
    const served = await fetch(`${t.httpUrl}${meta.url}`, { headers: { authorization: `Bearer ${guard}` } });
    expect(served.headers.get('content-type')).toBe('image/svg+xml');
    const csp = served.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('sandbox');
    expect(csp).not.toContain('script-src');
    expect(await served.text()).toBe(SVG_OK);
  });

  it('refuses a file that is not an image, an SVG with a script or an event handler, and a truncated PNG', async () => {
    const asText = await upload('test-community', admin, 'building,x,y\n1,10,20\n', 'image/png');
    expect(asText.status).toBe(400);
    expect(JSON.stringify(asText.body)).toContain('not a PNG or SVG');

    const script = await upload('test-community', admin, SVG_OK.replace('</svg>', '<script>fetch("/api/v1/users")</script></svg>'), 'image/svg+xml');
    expect(script.status).toBe(400);
    expect(JSON.stringify(script.body)).toContain('<script>');
    const handler = await upload('test-community', admin, SVG_OK.replace('<rect x="100"', '<rect onload="alert(1)" x="100"'), 'image/svg+xml');
    expect(handler.status).toBe(400);
    expect(JSON.stringify(handler.body)).toContain('event handler');
    const link = await upload('test-community', admin, SVG_OK.replace('<text', '<a href="javascript:alert(1)"><text').replace('</text>', '</text></a>'));
    expect(link.status).toBe(400);
    const entity = await upload('test-community', admin, `<!DOCTYPE svg [<!ENTITY x "y">]>${SVG_OK.replace(/^<\?xml[^>]*>/, '')}`);
    expect(entity.status).toBe(400);
    const png = drawnPng(10, 10);
    expect((await upload('test-community', admin, png.subarray(0, png.length - 12))).status).toBe(400);

    // Too large: refused before anything is read into the database.
    expect((await upload('test-community', admin, Buffer.alloc(9 * 1024 * 1024, 1))).status).toBe(413);
    // Nothing of the refused uploads replaced the PNG.
    const plan = SitePlan.parse((await api.get('/api/v1/site?communityId=test-community', guard)).body);
    expect(plan.drawing?.contentType).toBe('image/png');
  });

  it('saves positions on the drawing, audits them, and the guard\u2019s site plan carries them', async () => {
    const before = DeviceStates.parse((await api.get('/api/v1/devices/states', guard)).body).planVersion;
    const r = await place('test-community', admin, 'device', 'door-b01-u1', { x: 0.25, y: 0.4 });
    expect(r.status).toBe(200);
    expect(PlanItem.parse(r.body)).toMatchObject({ kind: 'device', id: 'door-b01-u1', role: 'door', plan: { x: 0.25, y: 0.4 } });
    expect((await place('test-community', admin, 'building', 'b01', { x: 0.2, y: 0.3 })).status).toBe(200);
    // Moved again: the audit row holds before and after.
    expect((await place('test-community', admin, 'device', 'door-b01-u1', { x: 0.3, y: 0.45 })).status).toBe(200);
    const rows = (await audit('site_plan.place')).filter((e) => e.entityId === 'door-b01-u1');
    expect(rows[0]?.detail).toMatchObject({ before: { plan: { x: 0.25, y: 0.4 } }, after: { plan: { x: 0.3, y: 0.45 } } });

    const plan = SitePlan.parse((await api.get('/api/v1/site?communityId=test-community', guard)).body);
    expect(plan.devices.find((d) => d.id === 'door-b01-u1')?.plan).toEqual({ x: 0.3, y: 0.45 });
    expect(plan.buildings.find((b) => b.id === 'b01')?.plan).toEqual({ x: 0.2, y: 0.3 });
    expect(plan.devices.find((d) => d.id === 'gate-main')?.plan).toBeNull();
    expect(DeviceStates.parse((await api.get('/api/v1/devices/states', guard)).body).planVersion).toBeGreaterThan(before);

    const editor = PlanEditor.parse((await api.get('/api/v1/site/plans/test-community', admin)).body);
    expect(editor.items.filter((i) => i.plan === null).map((i) => i.id)).toContain('gate-main');

    // Taken off again.
    const off = await api.call('DELETE', '/api/v1/site/plans/test-community/placements/building/b01', admin);
    expect(PlanItem.parse(off.body).plan).toBeNull();
    expect((await audit('site_plan.unplace'))[0]).toMatchObject({ entity: 'Building', entityId: 'b01' });
  });

  it('refuses bad positions and items of another compound', async () => {
    expect((await place('test-community', admin, 'device', 'door-b01-u1', { x: 1.5, y: 0.2 })).status).toBe(400);
    expect((await place('test-community', admin, 'device', 'door-e01-u1', { x: 0.5, y: 0.5 })).status).toBe(404);
    // A decommissioned device is not on the plan.
    expect((await place('east', admin, 'device', 'door-e01-old', { x: 0.5, y: 0.5 })).status).toBe(404);
    expect((await place('nowhere', admin, 'device', 'door-b01-u1', { x: 0.5, y: 0.5 })).status).toBe(404);
  });

  it('lets a guard read but never change a plan, and keeps a property manager to their compound', async () => {
    expect((await upload('test-community', guard, drawnPng(10, 10))).status).toBe(403);
    expect((await place('test-community', guard, 'device', 'door-b01-u1', { x: 0.1, y: 0.1 })).status).toBe(403);
    expect((await api.get('/api/v1/site/plans/test-community', guard)).status).toBe(403);
    expect((await api.call('DELETE', '/api/v1/site/plans/test-community/drawing', guard)).status).toBe(403);

    expect(PlanCompounds.parse((await api.get('/api/v1/site/plans', manager)).body).compounds).toEqual([{ id: 'east', name: '东区小区', hasDrawing: true }]);
    expect((await api.get('/api/v1/site/plans/test-community', manager)).status).toBe(404);
    expect((await upload('test-community', manager, drawnPng(10, 10))).status).toBe(404);
    expect((await place('east', manager, 'device', 'door-e01-u1', { x: 0.6, y: 0.7 })).status).toBe(200);
    expect(PlanCompounds.parse((await api.get('/api/v1/site/plans', admin)).body).compounds.map((c) => c.id)).toEqual(['test-community', 'east']);
  });

  it('gives each compound its own plan: its own devices, none decommissioned, and the compounds to choose from', async () => {
    const first = SitePlan.parse((await api.get('/api/v1/site', guard)).body);
    expect(first.community.id).toBe('test-community');
    expect(first.compounds.map((c) => c.id)).toEqual(['test-community', 'east']);
    expect(first.devices.map((d) => d.id)).not.toContain('door-e01-u1');

    const east = SitePlan.parse((await api.get('/api/v1/site?communityId=east', guard)).body);
    expect(east.community.name).toBe('东区小区');
    expect(east.devices.map((d) => d.id).sort()).toEqual(['door-e01-u1', 'lamp-e01', 'post-e01']);
    expect(east.buildings.map((b) => b.id)).toEqual(['e01']);
    expect(east.drawing?.contentType).toBe('image/svg+xml');
    expect(east.devices.find((d) => d.id === 'door-e01-u1')?.plan).toEqual({ x: 0.6, y: 0.7 });
    expect((await api.get('/api/v1/site?communityId=nowhere', guard)).status).toBe(404);
  });

  it('removes a drawing: the map falls back to the grid, positions come back with the next drawing', async () => {
    expect((await api.call('DELETE', '/api/v1/site/plans/east/drawing', manager)).status).toBe(204);
    const east = SitePlan.parse((await api.get('/api/v1/site?communityId=east', guard)).body);
    expect(east.drawing).toBeNull();
    expect(east.devices.find((d) => d.id === 'door-e01-u1')?.plan).toBeNull();
    expect((await audit('site_plan.remove_drawing'))[0]).toMatchObject({ entityId: 'east', actor: 'property_manager:pm-east' });
    expect((await place('east', manager, 'device', 'lamp-e01', { x: 0.1, y: 0.1 })).status).toBe(409);
    expect((await upload('east', manager, SVG_OK)).status).toBe(200);
    const again = SitePlan.parse((await api.get('/api/v1/site?communityId=east', guard)).body);
    expect(again.devices.find((d) => d.id === 'door-e01-u1')?.plan).toEqual({ x: 0.6, y: 0.7 });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = z.object({ paths: z.record(z.string(), z.unknown()) }).parse(await (await fetch(`${t.httpUrl}/docs/json`)).json());
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/site/plans', '/api/v1/site/plans/{communityId}/drawing', '/api/v1/site/plans/{communityId}/placements/{kind}/{itemId}']));
  });
});
