// After every command, each session is told about a pending `commit confirmed` (whoever armed it), and once, that
// it was rolled back when its deadline passed unconfirmed: at once when the shell sits at its prompt (whileIdle,
// which the interactive shell calls every few seconds), else after the next command.
import type { PendingConfirm, Store } from '../../store/store.js';
import type { ModeContext } from '../../modes/types.js';
import { pendingConfirmNotice } from '../../present/confirm.js';

export class PendingConfirmWatch {
  private lastPending: PendingConfirm | null = null;

  constructor(private readonly store: Store | null) {}

  afterCommand(ctx: ModeContext): void {
    const pending = this.read();
    if (pending === undefined) return;
    if (pending) ctx.notify(pendingConfirmNotice(pending));
    else if (this.lastPending) this.announceEnd(ctx);
    this.lastPending = pending;
  }

  /** At the prompt: announce the rollback as soon as the pending commit is gone (once; nothing else repeats). */
  whileIdle(ctx: ModeContext): void {
    if (!this.lastPending) return;
    const pending = this.read();
    if (pending !== null) return;
    this.announceEnd(ctx);
    this.lastPending = null;
  }

  /** The pending confirm; undefined when it cannot be read (say nothing then). */
  private read(): PendingConfirm | null | undefined {
    if (!this.store) return undefined;
    try {
      return this.store.pendingConfirm();
    } catch {
      return undefined;
    }
  }

  /** The pending commit is gone: if the deadline rolled it back, say so (a confirmation needs no words). */
  private announceEnd(ctx: ModeContext): void {
    try {
      const running = this.store!.running();
      if (running.origin === 'confirm-timeout') ctx.notify(`% Commit was not confirmed; automatic rollback complete (revision ${running.number}).`);
    } catch {
      /* nothing to say */
    }
  }
}
