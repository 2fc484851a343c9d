import { Alert } from '@linli/gateway/contracts/api/alerts';
import { ComplianceReport, FieldAlertList, FieldHome, PatrolReportView, type PatrolBody } from '@linli/gateway/contracts/api/field';
import { call } from './api';

const enc = encodeURIComponent;

/** The field worker's calls (grid workers, maintenance): every reply parsed with the gateway's contract. */
export const fieldApi = {
  home: () => call(FieldHome, 'GET', '/api/v1/field/home'),
  alerts: () => call(FieldAlertList, 'GET', '/api/v1/field/alerts'),
  onSite: (id: string, note: string | null, lateReason: string | null) =>
    call(Alert, 'POST', `/api/v1/field/alerts/${enc(id)}/on-site`, { ...(note ? { note } : {}), ...(lateReason ? { lateReason } : {}) }),
  outcome: (id: string, resolved: boolean, note: string) => call(Alert, 'POST', `/api/v1/field/alerts/${enc(id)}/outcome`, { resolved, note }),
  patrol: (body: PatrolBody) => call(PatrolReportView, 'POST', '/api/v1/field/patrol', body),
  compliance: (month: string) => call(ComplianceReport, 'GET', `/api/v1/field/compliance?month=${enc(month)}`),
};
