// The watcher a daemon builds for its `ha` section when nothing else is injected.
import type { Ha } from '../../config/model.js';
import type { HaChange, HaSnapshot, HaWatcherLike } from '../ha/types.js';

/**
 * Stand-in until engine/ha/watcher.ts (branch wt-vrrp-watch) lands: every instance unknown, which holds what is
 * programmed (engine/ha/programming.ts). Replaced by the real watcher at the merge.
 */
export function defaultHaWatcher(ha: Ha, _onChange: HaChange): HaWatcherLike {
  let current = ha;
  const snapshot = (): HaSnapshot => ({
    source: current.source,
    program: current.program,
    summary: current.source === 'none' ? 'none' : 'unknown',
    instances: current.instances.map((i) => ({
      name: i.name,
      vrid: i.vrid,
      interface: i.interface,
      family: i.vips.some((v) => v.includes(':')) ? 'inet6' : 'inet',
      state: 'unknown',
      since: new Date().toISOString(),
      source: 'static',
      vips: i.vips,
      reason: 'no watcher in this build',
      programs: current.program === 'always',
    })),
  });
  return {
    start: async () => {},
    stop: async () => {},
    snapshot,
    update: async (next) => {
      current = next;
    },
  };
}
