import type { WriteResult } from '../db/event-writer';
import type { Logger } from '../log';

/**
 * A one-key alarm or a forced entry must reach a guard even while the database cannot commit (locked, disk full):
 * if the write has not committed in `afterMs`, `show('unsaved')` puts it on the bus (the guard station shows it,
 * marked 未保存), and `show('saved')` once it is stored. The device gets no PUBACK before that, so it keeps
 * resending it.
 */
export function announceIfUnsaved(
  afterMs: number,
  log: Logger,
  ids: { deviceId: string; eventId: string },
  write: Promise<WriteResult>,
  show: (state: 'unsaved' | 'saved') => void,
): void {
  let announced = false;
  const timer = setTimeout(() => {
    announced = true;
    log.warn(ids, 'alarm event not stored yet; shown to the guard station as unsaved');
    show('unsaved');
  }, afterMs);
  write.then(
    () => {
      clearTimeout(timer);
      if (announced) show('saved');
    },
    () => clearTimeout(timer),
  );
}
