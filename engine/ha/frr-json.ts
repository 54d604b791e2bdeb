// FRR's `show vrrp json`, parsed strictly. Pure. The shape is FRR 8.4's (docs/ha.md): an array of one object per
// (parent interface, VRID), each with a `v4` and a `v6` object that are always present. Anything else is
// refused with a reason, because the watcher must report "unknown" rather than guess a Backup from odd output.

export const FRR_STATUSES = ['Initialize', 'Backup', 'Master'] as const;
export type FrrStatus = (typeof FRR_STATUSES)[number];

export interface FrrFamilyState {
  status: FrrStatus;
  /** The VRRP macvlan vrrpd uses for this family ('' when it has none). */
  macvlan: string;
  effectivePriority?: number;
}

export interface FrrRouter {
  vrid: number;
  /** The parent interface carrying `vrrp N`. */
  interface: string;
  shutdown: boolean;
  v4: FrrFamilyState;
  v6: FrrFamilyState;
}

export class FrrJsonError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function family(v: unknown, where: string): FrrFamilyState {
  if (!isObject(v)) throw new FrrJsonError(`${where} is not an object`);
  const status = v.status;
  if (typeof status !== 'string' || !(FRR_STATUSES as readonly string[]).includes(status))
    throw new FrrJsonError(`${where}.status is ${JSON.stringify(status)}, not one of ${FRR_STATUSES.join('/')}`);
  const out: FrrFamilyState = { status: status as FrrStatus, macvlan: typeof v.interface === 'string' ? v.interface : '' };
  if (typeof v.effectivePriority === 'number') out.effectivePriority = v.effectivePriority;
  return out;
}

/** Parse vtysh's stdout. Throws FrrJsonError naming what was wrong. */
export function parseShowVrrpJson(text: string): FrrRouter[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Quote what vtysh said instead: e.g. "Warning: closing connection to vrrpd because of an I/O error!" (exit 0)
    // when vrrpd dies while vtysh talks to it.
    const said = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
    throw new FrrJsonError(said ? `not JSON: ${JSON.stringify(said.slice(0, 160))}` : 'empty');
  }
  if (!Array.isArray(doc)) throw new FrrJsonError('not a JSON array');
  return doc.map((r, i) => {
    const where = `router ${i}`;
    if (!isObject(r)) throw new FrrJsonError(`${where} is not an object`);
    if (typeof r.vrid !== 'number' || typeof r.interface !== 'string')
      throw new FrrJsonError(`${where} has no numeric vrid and interface name`);
    return {
      vrid: r.vrid,
      interface: r.interface,
      shutdown: r.shutdown === true,
      v4: family(r.v4, `${where}.v4`),
      v6: family(r.v6, `${where}.v6`),
    };
  });
}
