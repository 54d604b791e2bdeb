// The shell's way to drains: the daemon of the state directory when one answers (it keeps them and follows their
// connections), else the engine host of this shell, which applies them in-process to the kernel or the lab table.
import { EngineHost, type EnginePort } from '../engine/host.js';
import { daemonDrain, daemonDrains } from '../engine/daemon/drain-client.js';
import type { ShellBackend } from '../modes/backend.js';
import type { OperatorIdentity } from '../config/identity.js';

export function drainBackend(stateDir: string, engine: EnginePort, who: OperatorIdentity): Pick<ShellBackend, 'drain' | 'drains'> {
  const identity = { user: who.user, uid: who.uid, ...(who.sudoUser !== undefined ? { sudoUser: who.sudoUser } : {}) };
  const local = () => {
    if (engine instanceof EngineHost) return engine;
    throw new Error('the daemon this shell was attached to is gone: start it again, or open a new shell to work without it');
  };
  return {
    drain: async (req) => (await daemonDrain(stateDir, req)) ?? local().drains.request(req, identity),
    drains: async (service) => (await daemonDrains(stateDir, service)) ?? (engine instanceof EngineHost ? engine.drains.report(identity, service) : []),
  };
}
