import type { SetupStepName } from '@linli/gateway/contracts/api/setup';
import { adminApi } from '../../admin-api';
import { useLoad } from '../../hooks';
import { type MessageKey, useT } from '../../i18n';
import { Link } from '../../router';

/** Where each step is done (pages of this app, or the master-data pages of issue 15's other part). */
const WHERE: Partial<Record<SetupStepName, string>> = { admin_password: '/admin/password', devices: '/admin/devices', guards: '/admin/users' };

/** The setup checklist the admin pages open on: compound → buildings → households → devices → guards. */
export function Setup() {
  const t = useT();
  const [list] = useLoad(() => adminApi.setup(), 'setup', 15_000);
  return (
    <div class="admin-page" data-testid="setup">
      <h1 class="view-title">{t('setup.title')}</h1>
      <p class="muted">{t('setup.intro')}</p>
      {list.state !== 'ok' ? (
        <p class="muted">{list.state === 'loading' ? t('common.loading') : t('common.error', { msg: list.message })}</p>
      ) : (
        <>
          <ol class="setup-steps">
            {list.value.steps.map((s) => (
              <li key={s.step} class={`setup-step ${s.done ? 'is-done' : ''} ${list.value.next === s.step ? 'is-next' : ''}`} data-step={s.step} data-done={s.done ? 'true' : 'false'}>
                <span class={`pill ${s.done ? 'pill-ok' : 'pill-muted'}`}>{s.done ? `✓ ${t('setup.done')}` : t('setup.todo')}</span>
                <span class="setup-label">{t(`setup.step.${s.step}` as MessageKey)}</span>
                {s.count > 0 && s.step !== 'admin_password' && <span class="muted">{t('setup.count', { n: s.count })}</span>}
                {!s.done && WHERE[s.step] !== undefined && (
                  <Link href={WHERE[s.step] ?? '/'} class="btn btn-sm">
                    {t('setup.go')}
                  </Link>
                )}
              </li>
            ))}
          </ol>
          {list.value.complete && <p class="setup-complete">{t('setup.complete')}</p>}
        </>
      )}
    </div>
  );
}
