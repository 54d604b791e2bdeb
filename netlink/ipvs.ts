// NetlinkDataplane: the kernel's IPVS over generic netlink. Requests are encoded by ipvs-codec.ts, sent through
// socket.ts (writes batched, each ACK checked), and read back as dataplane.ts values with HASHED masked.
import {
  type AddressFamily,
  type Dataplane,
  type IpvsDest,
  type IpvsOp,
  type IpvsService,
  type IpvsTableEntry,
  type IpvsTimeouts,
  type OpResult,
  readsCounters,
  type ReadOptions,
  type ServiceKey,
} from './dataplane.js';
import { attrNest, attrString, attrU32, parseGenl, type NlMessage } from './codec.js';
import { describeKey, describeOp } from './describe.js';
import { ENOENT, EPERM, ESRCH, errnoName, errnoText } from './errno.js';
import { DataplaneError, DataplaneUnavailableError, NO_IPVS_MESSAGE, NO_PERMISSION_MESSAGE } from './errors.js';
import { resolveFamily } from './genl.js';
import * as C from './ipvs-codec.js';
import { NETLINK_GENERIC } from './libc.js';
import { NetlinkSocket, type Ack, type BatchRequest } from './socket.js';
import { checkKey, checkOp, checkTimeouts, InputError } from './validate.js';

export interface NetlinkDataplaneOptions {
  timeoutMs?: number;
}

export class NetlinkDataplane implements Dataplane {
  readonly kind = 'netlink' as const;
  private baseline: number;

  private constructor(
    private readonly sock: NetlinkSocket,
    readonly familyId: number,
  ) {
    this.baseline = sock.messagesSent();
  }

  /**
   * Open a socket, resolve the IPVS family and probe permission with GET_INFO. Throws DataplaneUnavailableError
   * with an operator-facing message when the kernel has no IPVS or the caller lacks CAP_NET_ADMIN.
   */
  static async open(opts: NetlinkDataplaneOptions = {}): Promise<NetlinkDataplane> {
    const sock = NetlinkSocket.open(NETLINK_GENERIC, { timeoutMs: opts.timeoutMs });
    try {
      let family: number;
      try {
        family = (await resolveFamily(sock, C.IPVS_GENL_NAME)).id;
      } catch (e) {
        if (e instanceof DataplaneError && e.errno === ENOENT) throw new DataplaneUnavailableError('no-ipvs', NO_IPVS_MESSAGE);
        throw e;
      }
      const dp = new NetlinkDataplane(sock, family);
      try {
        await dp.request(C.IPVS_CMD_GET_INFO, [], 'IPVS GET_INFO');
      } catch (e) {
        if (e instanceof DataplaneError && e.errno === EPERM) throw new DataplaneUnavailableError('no-permission', NO_PERMISSION_MESSAGE);
        throw e;
      }
      dp.baseline = sock.messagesSent(); // the permission probe is not the caller's message
      return dp;
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  async info() {
    const [m] = await this.request(C.IPVS_CMD_GET_INFO, [], 'IPVS GET_INFO');
    return C.decodeInfo(parseGenl(m.payload).attrs);
  }

  async listServices(opts?: ReadOptions): Promise<IpvsService[]> {
    const counters = readsCounters(opts);
    const msgs = await this.request(C.IPVS_CMD_GET_SERVICE, [], 'IPVS GET_SERVICE dump', true);
    return msgs.map((m) => {
      const [start, end] = this.nestRange(m, C.IPVS_CMD_ATTR_SERVICE);
      return C.decodeServiceAt(m.payload, start, end, undefined, counters);
    });
  }

  async getService(key: ServiceKey): Promise<IpvsService | null> {
    const k = this.inputKey(key, `getService ${describeKey(key)}`);
    try {
      const [m] = await this.request(C.IPVS_CMD_GET_SERVICE, [C.encodeServiceKeyNest(k)], `IPVS GET_SERVICE ${describeKey(k)}`);
      return m ? C.decodeService(this.nest(m, C.IPVS_CMD_ATTR_SERVICE)) : null;
    } catch (e) {
      if (e instanceof DataplaneError && e.errno === ESRCH) return null;
      throw e;
    }
  }

  async listDests(key: ServiceKey, opts?: ReadOptions): Promise<IpvsDest[]> {
    const counters = readsCounters(opts);
    let k: ServiceKey;
    try {
      k = checkKey(key);
    } catch {
      return []; // the kernel's dest dump answers nothing for a service it cannot parse
    }
    const msgs = await this.request(C.IPVS_CMD_GET_DEST, [C.encodeServiceKeyNest(k)], `IPVS GET_DEST ${describeKey(k)}`, true);
    return msgs.map((m) => {
      const [start, end] = this.nestRange(m, C.IPVS_CMD_ATTR_DEST);
      return C.decodeDestAt(m.payload, start, end, k.af, counters);
    });
  }

  async readAll(opts?: ReadOptions): Promise<IpvsTableEntry[]> {
    const services = await this.listServices(opts);
    const out: IpvsTableEntry[] = [];
    for (const service of services) out.push({ service, dests: await this.listDests(service.key, opts) });
    return out;
  }

  async apply(ops: IpvsOp[]): Promise<OpResult[]> {
    const results: OpResult[] = new Array(ops.length);
    const requests: BatchRequest[] = [];
    const indexes: number[] = [];
    ops.forEach((op, i) => {
      let valid: IpvsOp;
      try {
        valid = checkOp(op);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        results[i] = failure(e.errno, `${describeOp(op)}: ${e.message}`);
        return;
      }
      requests.push(this.opRequest(valid));
      indexes.push(i);
    });
    const acks = requests.length ? await this.sock.batch(requests) : [];
    acks.forEach((a: Ack, j) => {
      const i = indexes[j];
      results[i] = a.errno ? failure(a.errno, describeOp(ops[i]), a.kernelMessage) : { ok: true };
    });
    return results;
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const [m] = await this.request(C.IPVS_CMD_GET_CONFIG, [], 'IPVS GET_CONFIG');
    return C.decodeTimeouts(parseGenl(m.payload).attrs);
  }

  async setTimeouts(t: Partial<IpvsTimeouts>): Promise<void> {
    try {
      checkTimeouts(t);
    } catch (e) {
      if (e instanceof InputError) throw new DataplaneError(e.errno, `setTimeouts: ${e.message}`);
      throw e;
    }
    await this.write(C.IPVS_CMD_SET_CONFIG, C.encodeTimeouts(t), 'IPVS SET_CONFIG');
  }

  async zero(key?: ServiceKey): Promise<void> {
    if (!key) return this.write(C.IPVS_CMD_ZERO, [], 'IPVS ZERO all');
    const k = this.inputKey(key, `zero ${describeKey(key)}`);
    return this.write(C.IPVS_CMD_ZERO, [C.encodeServiceKeyNest(k)], `IPVS ZERO ${describeKey(k)}`);
  }

  async flush(): Promise<void> {
    await this.write(C.IPVS_CMD_FLUSH, [], 'IPVS FLUSH');
  }

  /** Connection-sync daemons (GET_DAEMON dump): at most one master and one backup. */
  async listDaemons(): Promise<C.IpvsDaemon[]> {
    const msgs = await this.request(C.IPVS_CMD_GET_DAEMON, [], 'IPVS GET_DAEMON dump', true);
    return msgs.map((m) => C.decodeDaemon(this.nest(m, C.IPVS_CMD_ATTR_DAEMON)));
  }

  /** Start a sync daemon (state 1 master, 2 backup) on an interface. */
  async newDaemon(d: { state: 1 | 2; mcastIfn: string; syncId: number }): Promise<void> {
    const nest = attrNest(C.IPVS_CMD_ATTR_DAEMON, [
      attrU32(C.IPVS_DAEMON_ATTR_STATE, d.state),
      attrString(C.IPVS_DAEMON_ATTR_MCAST_IFN, d.mcastIfn),
      attrU32(C.IPVS_DAEMON_ATTR_SYNC_ID, d.syncId),
    ]);
    await this.write(C.IPVS_CMD_NEW_DAEMON, [nest], `IPVS NEW_DAEMON ${d.mcastIfn}`);
  }

  async delDaemon(state: 1 | 2): Promise<void> {
    await this.write(C.IPVS_CMD_DEL_DAEMON, [attrNest(C.IPVS_CMD_ATTR_DAEMON, [attrU32(C.IPVS_DAEMON_ATTR_STATE, state)])], 'IPVS DEL_DAEMON');
  }

  messagesSent(): number {
    return this.sock.messagesSent() - this.baseline;
  }

  /** send() calls made (a batch of many messages is one). */
  sendCalls(): number {
    return this.sock.sendCalls();
  }

  async close(): Promise<void> {
    this.sock.close();
  }

  // ---- internals ----

  private inputKey(key: ServiceKey, request: string): ServiceKey {
    try {
      return checkKey(key);
    } catch (e) {
      if (e instanceof InputError) throw new DataplaneError(e.errno, `${request}: ${e.message}`);
      throw e;
    }
  }

  private request(cmd: number, attrs: Buffer[], describe: string, dump = false): Promise<NlMessage[]> {
    return this.sock.request((seq, flags) => C.ipvsMessage(this.familyId, cmd, flags, seq, attrs), describe, dump);
  }

  private async write(cmd: number, attrs: Buffer[], describe: string): Promise<void> {
    const [ack] = await this.sock.batch([{ describe, build: (seq, flags) => C.ipvsMessage(this.familyId, cmd, flags, seq, attrs) }]);
    if (ack.errno) throw new DataplaneError(ack.errno, describe, ack.kernelMessage);
  }

  /** Where a reply's nest lies in its payload: a dump's replies are decoded in place, without a view per nest. */
  private nestRange(m: NlMessage, type: number): [number, number] {
    const r = C.findNest(m.payload, 0, m.payload.length, type);
    if (!r) throw new DataplaneError(ENOENT, `IPVS reply without attribute ${type}`);
    return r;
  }

  /** A reply's nest as a view of its payload (one lookup for both: nestRange). */
  private nest(m: NlMessage, type: number): Buffer {
    const [start, end] = this.nestRange(m, type);
    return m.payload.subarray(start, end);
  }


  private opRequest(op: IpvsOp): BatchRequest {
    const describe = describeOp(op);
    let cmd: number;
    let attrs: Buffer[];
    switch (op.op) {
      case 'newService':
      case 'setService':
        cmd = op.op === 'newService' ? C.IPVS_CMD_NEW_SERVICE : C.IPVS_CMD_SET_SERVICE;
        attrs = [C.encodeServiceFull(op.service)];
        break;
      case 'delService':
        cmd = C.IPVS_CMD_DEL_SERVICE;
        attrs = [C.encodeServiceKeyNest(op.key)];
        break;
      case 'newDest':
      case 'setDest':
        cmd = op.op === 'newDest' ? C.IPVS_CMD_NEW_DEST : C.IPVS_CMD_SET_DEST;
        attrs = [C.encodeServiceKeyNest(op.key), C.encodeDest(op.key.af as AddressFamily, op.dest, true)];
        break;
      case 'delDest':
        cmd = C.IPVS_CMD_DEL_DEST;
        attrs = [C.encodeServiceKeyNest(op.key), C.encodeDest(op.key.af as AddressFamily, op.dest, false)];
        break;
    }
    const payload = attrs;
    return { describe, build: (seq, flags) => C.ipvsMessage(this.familyId, cmd, flags, seq, payload) };
  }
}

function failure(errno: number, request: string, kernelMessage?: string): OpResult {
  return {
    ok: false,
    errno,
    code: errnoName(errno),
    message: `${request}: ${errnoName(errno)} (${errnoText(errno)})${kernelMessage ? `: ${kernelMessage}` : ''}`,
  };
}
