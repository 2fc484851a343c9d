import { z } from 'zod';
import { ErrorReply } from '@linli/gateway/contracts/api/auth';
import { CredentialEnrolled, type CredentialEnrolBody, CredentialList, CredentialView } from '@linli/gateway/contracts/api/credentials';
import { AdminResidentView, type MoveOutBody, type PaperConsentBody } from '@linli/gateway/contracts/api/admin-people';
import { type ExportFormat, type ExportKind, ImportReport } from '@linli/gateway/contracts/api/transfer';
import { ApiError, call } from './api';
import { endSession, session } from './session';

const id = (s: string) => encodeURIComponent(s);

/**
 * The master data routes the generic pages drive (/api/v1/admin/<collection>), a resident's credentials, and the
 * import/export transfer routes. Every JSON reply is parsed with the gateway's contract.
 */
export const dataApi = {
  list: <S extends z.ZodType>(schema: S, collection: string, query: Record<string, string> = {}) => {
    const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString();
    return call(schema, 'GET', `/api/v1/admin/${collection}${q === '' ? '' : `?${q}`}`);
  },
  create: <S extends z.ZodType>(schema: S, collection: string, body: unknown) => call(schema, 'POST', `/api/v1/admin/${collection}`, body),
  patch: <S extends z.ZodType>(schema: S, collection: string, rowId: string, body: unknown) => call(schema, 'PATCH', `/api/v1/admin/${collection}/${id(rowId)}`, body),
  remove: (collection: string, rowId: string) => call(z.null(), 'DELETE', `/api/v1/admin/${collection}/${id(rowId)}`),
  faceConsent: (residentId: string, body: PaperConsentBody) => call(AdminResidentView, 'PUT', `/api/v1/admin/residents/${id(residentId)}/face-consent`, body),
  moveOut: (residentId: string, body: MoveOutBody = {}) => call(AdminResidentView, 'POST', `/api/v1/admin/residents/${id(residentId)}/move-out`, body),
  credentials: (residentId: string) => call(CredentialList, 'GET', `/api/v1/residents/${id(residentId)}/credentials`),
  enrol: (residentId: string, body: CredentialEnrolBody) => call(CredentialEnrolled, 'POST', `/api/v1/residents/${id(residentId)}/credentials`, body),
  setCredential: (credentialId: string, status: 'active' | 'suspended') => call(CredentialView, 'PATCH', `/api/v1/credentials/${id(credentialId)}`, { status }),
  removeCredential: (credentialId: string) => call(z.null(), 'DELETE', `/api/v1/credentials/${id(credentialId)}`),
};

async function refusal(res: Response): Promise<ApiError> {
  if (res.status === 401) endSession();
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON (a proxy's page): the status says enough
  }
  const e = ErrorReply.safeParse(json);
  return new ApiError(res.status, e.success ? e.data.error : 'HTTP', e.success ? e.data.message : `HTTP ${res.status}`, e.success ? e.data.details : undefined, e.success ? (e.data.issues ?? []) : []);
}

const bearer = (): Record<string, string> => {
  const s = session.get();
  return s ? { authorization: `Bearer ${s.token}` } : {};
};

/**
 * Sends a CSV/XLSX file for a dry run or the import. Both a clean (200) and a refused (422) file answer the same
 * report, so a 422 is a result here, not an error.
 */
export async function importFile(file: File, communityId: string, dryRun: boolean): Promise<ImportReport> {
  const form = new FormData();
  form.append('file', file, file.name);
  const res = await fetch(`/api/v1/transfer/import${dryRun ? '/dry-run' : ''}?communityId=${id(communityId)}`, { method: 'POST', headers: bearer(), body: form });
  if (res.status === 200 || res.status === 422) return ImportReport.parse(await res.json());
  throw await refusal(res);
}

/** Downloads an export (the gateway streams it; the browser gets it as one blob, then offers it as a file). */
export async function exportFile(kind: ExportKind, q: { from: string; to: string; format: ExportFormat; communityId?: string }): Promise<{ name: string; blob: Blob }> {
  const params = new URLSearchParams({ from: q.from, to: q.to, format: q.format, ...(q.communityId ? { communityId: q.communityId } : {}) });
  const res = await fetch(`/api/v1/transfer/export/${kind}?${params.toString()}`, { headers: bearer() });
  if (!res.ok) throw await refusal(res);
  const cd = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  const name = star?.[1] ? decodeURIComponent(star[1]) : (plain?.[1] ?? `linli-${kind}-${q.from}.${q.format}`);
  return { name, blob: await res.blob() };
}

/** Offers a blob as a download under `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
