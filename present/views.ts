// The long views of `lbctl show ipvs` and `lbctl status`, rendered where the data is: a command without a daemon
// runs them on its in-process engine host; with a daemon, the daemon runs the same functions on its own host
// (the `view` request, engine/daemon/server.ts) and streams the text back in chunks, which the command writes as
// they come. One function, so the output is the same byte for byte whichever engine answers, and neither side
// holds the whole text (at 10,000 services × 4 backends `show ipvs` is 50,000 lines).
//
// A renderer first gathers its data (the one kernel read, the judgement), then returns its text as an iterable
// of chunks built as they are taken: a CompileError or a dataplane error is thrown before any text.
import type { Config } from '../config/model.js';
import { serviceId, type EnginePort } from '../engine/host.js';
import { ipvsListingLines, ipvsListingOrder, ipvsServiceJson, type IpvsView } from './ipvs.js';
import { ipvsStateCells, judgedById, judgedServiceJson, missingServicesJson } from './sync.js';
import { cliFixWords, statusLines } from './status.js';
import { chunked } from './table.js';
import { chunkedPieces, JsonList, jsonPieces } from './json-stream.js';

/** What a view needs of an engine host: EngineHost in this process or in the daemon. */
export type ViewHost = Pick<EnginePort, 'dataplaneInfo' | 'owned' | 'table' | 'syncView' | 'status'> & {
  /** The running revision's number (the daemon's host); a view asked without `running` judges against it. */
  revision?(): number;
};

export interface ViewOutput {
  /** The text in chunks of tens of KB, built as they are taken. */
  chunks: Iterable<string>;
  /** What the command needs besides the text (status: in sync or not, for the exit code). */
  result?: unknown;
}

export type ViewRenderer = (host: ViewHost, params: Record<string, unknown>) => Promise<ViewOutput>;

/** `lbctl show ipvs`'s parameters. */
export interface IpvsViewParams {
  view: IpvsView;
  /** Columns of the terminal; 0: no limit (a pipe). */
  width: number;
  json: boolean;
  /**
   * The running configuration to judge the table against (null: there is none: no State column). Absent: the
   * host's own (the daemon, which keeps it; it judges when it has a running revision).
   */
  running?: Config | null;
}

/**
 * `lbctl show ipvs [--stats|--rate] [--json]`: one read of the table, judged against the running configuration.
 * A service the configuration does not declare is `(lbctl)` when lbctl's ownership record holds it, else
 * `(not ours)`.
 */
export async function ipvsView(host: ViewHost, p: Record<string, unknown>): Promise<ViewOutput> {
  const params = p as unknown as IpvsViewParams;
  const view: IpvsView = params.view === 'stats' || params.view === 'rate' ? params.view : 'basic';
  const judge = params.running === undefined ? (host.revision?.() ?? 0) > 0 : params.running !== null;
  // One read: the table and its judgement against the running configuration (the State column), as the
  // shell's `show ipvs` shows it. Without a running configuration there is nothing to judge against. (Asked
  // first: a host that opens for it has just read the table and need not read it again.)
  // Counters only for the views that print them (--stats, --rate, --json): decoding them is most of a read's garbage.
  const counters = view !== 'basic' || params.json === true;
  const sync = judge ? await host.syncView(params.running ?? null, { table: true, counters }) : null;
  const entries = sync?.table ?? (await host.table({ counters }));
  const info = await host.dataplaneInfo();
  const owned = new Set(await host.owned().catch(() => []));
  // The configuration's names come with the judgement: every declared service is in the report, named.
  const names = new Map<string, string>();
  for (const s of sync?.report.services ?? []) if (s.name !== undefined) names.set(s.id, s.name);
  const state = sync ? ipvsStateCells(sync.report) : undefined;
  const labels = { service: (id: string) => names.get(id) ?? (owned.has(id) ? '(lbctl)' : '(not ours)') };
  if (!params.json) return { chunks: chunked(ipvsListingLines(entries, info, view, labels, state, params.width > 0 ? params.width : 0)) };
  const judged = sync ? judgedById(sync.report) : undefined;
  const sorted = ipvsListingOrder(entries);
  function* services() {
    for (const e of sorted) {
      const id = serviceId(e.service.key);
      const json = ipvsServiceJson(e, names.get(id) ?? null);
      yield { ...(judged ? judgedServiceJson(json, judged.get(id)) : json), owner: owned.has(id) ? 'lbctl' : 'foreign' };
    }
  }
  // What the running configuration wants and the kernel lacks: not IPVS services, so listed apart.
  const fields: [string, unknown][] = [
    ['version', info.version],
    ['connTabSize', info.connTabSize],
    ['services', new JsonList(services())],
    ...(state ? [['missing', missingServicesJson(state)] as [string, unknown]] : []),
  ];
  return { chunks: chunkedPieces(withNewline(jsonPieces(fields))) };
}

/** `lbctl status`'s parameters. */
export interface StatusViewParams {
  /** The configuration to judge the kernel against; null: the running one (the files say what it says). */
  config: Config | null;
  /** What a killed or unconfirmed change left unsettled (present/status.ts unsettledWarnings): not in sync. */
  warnings: string[];
  json: boolean;
  /** `lbctl apply` or `lbctl apply --lab`: how the fix is spelled. */
  applyCommand: string;
}

/** `lbctl status`: per service, the configuration against the kernel read now. Result: `{inSync}`. */
export async function statusView(host: ViewHost, p: Record<string, unknown>): Promise<ViewOutput> {
  const params = p as unknown as StatusViewParams;
  const warnings = Array.isArray(params.warnings) ? params.warnings.map(String) : [];
  const report = await host.status(params.config ?? null);
  // The files may equal the kernel while the kernel runs a commit nobody confirmed in time: not in sync.
  const inSync = report.inSync && warnings.length === 0;
  if (params.json) {
    const fields = Object.entries({ ...report, inSync, warnings }).map(([k, v]): [string, unknown] => [k, k === 'services' ? new JsonList(report.services) : v]);
    return { chunks: chunkedPieces(withNewline(jsonPieces(fields))), result: { inSync } };
  }
  function* lines() {
    yield* statusLines(report, cliFixWords(params.applyCommand || 'lbctl apply'));
    yield* warnings;
  }
  return { chunks: chunked(lines()), result: { inSync } };
}

function* withNewline(pieces: Iterable<string>): Generator<string> {
  yield* pieces;
  yield '\n';
}

/** The views a daemon serves (`view` requests), by name. */
export const VIEWS: Record<string, ViewRenderer> = {
  'show ipvs': ipvsView,
  status: statusView,
};
