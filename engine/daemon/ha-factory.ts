// The watcher a daemon builds for its `ha` section when nothing else is injected: the real one (engine/ha/).
import type { Ha } from '../../config/model.js';
import type { HaChange, HaWatcherLike } from '../ha/types.js';
import { HaWatcher } from '../ha/watcher.js';
import type { Log } from './log.js';

/**
 * The real watcher. Its warnings (no rtnetlink events, a failed poll, an event the poll contradicted) go to the
 * daemon's log; its per-transition info lines do not, since the daemon logs each transition itself with what
 * the kernel was told (ha-runner.ts).
 */
export function defaultHaWatcher(ha: Ha, onChange: HaChange, log: Log): HaWatcherLike {
  return new HaWatcher(ha, {
    onChange,
    log: (level, message) => {
      if (level === 'warn') log('warning', `vrrp: ${message}`);
    },
  });
}
