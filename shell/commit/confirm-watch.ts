// After every command, each session is told about a pending `commit confirmed` (whoever armed it), and once, that
// it was rolled back when its deadline passed unconfirmed.
import type { PendingConfirm, Store } from '../../store/store.js';
import type { ModeContext } from '../../modes/types.js';
import { pendingConfirmNotice } from '../../present/confirm.js';

export class PendingConfirmWatch {
  private lastPending: PendingConfirm | null = null;

  constructor(private readonly store: Store | null) {}

  afterCommand(ctx: ModeContext): void {
    const store = this.store;
    if (!store) return;
    let pending: PendingConfirm | null = null;
    try {
      pending = store.pendingConfirm();
    } catch {
      return;
    }
    if (pending) ctx.notify(pendingConfirmNotice(pending));
    else if (this.lastPending) {
      try {
        const running = store.running();
        if (running.origin === 'confirm-timeout')
          ctx.notify(`% Commit was not confirmed; automatic rollback complete (revision ${running.number}).`);
      } catch {
        /* nothing to say */
      }
    }
    this.lastPending = pending;
  }
}
