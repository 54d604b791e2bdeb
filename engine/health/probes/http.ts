// http and https: one request on a fresh connection to the backend's own address and port. The Host header is
// `http.host` (absent = the backend's address); no name is ever looked up. https sends `http.sni` as the TLS
// server name (absent = the Host header when it is a name, none when it is an address) and verifies the
// certificate against that name (or the address) unless `http.insecure`. The status must be one of
// `expect_status`; with `http.body`, the body must contain it within its first 64 KiB.
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Prober, ProbeEndpoint } from '../types.js';
import type { HttpCheck } from '../../../config/model.js';
import { DEFAULT_HTTP_CHECK } from '../../../config/defaults.js';
import { bounded } from './bounded.js';
import { READ_MAX } from './bytes.js';
import { ResponseReader } from './http-response.js';

/** A probe connects to an address; a name reaching the resolver is a bug, refused rather than looked up. */
const noLookup: LookupFunction = (hostname, _options, callback) => {
  const err = Object.assign(new Error(`refused to look up ${hostname}: health checks connect to the backend's address`), { code: 'ENOTFOUND' });
  callback(err, '', 4);
};

/** `[2001:db8::1]:8443`, `192.0.2.1:80`; the port is left out when it is the scheme's own. */
function authority(endpoint: ProbeEndpoint, defaultPort: number): string {
  const host = isIP(endpoint.address) === 6 ? `[${endpoint.address}]` : endpoint.address;
  return endpoint.port === defaultPort ? host : `${host}:${endpoint.port}`;
}

/** The host part of a Host header (`web.example:8080` → `web.example`, `[::1]:80` → `::1`). */
function hostPart(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (bracketed) return bracketed[1];
  if (isIP(hostHeader) === 6) return hostHeader;
  return hostHeader.replace(/:\d+$/, '');
}

/** The TLS server name of an https check: `sni`, else the Host header's name; '' (none) for an address. */
export function serverName(http: Pick<HttpCheck, 'host' | 'sni'>): string {
  if (http.sni !== undefined) return http.sni;
  if (http.host === undefined) return '';
  const name = hostPart(http.host);
  return isIP(name) === 0 ? name : '';
}

function expectedStatus(codes: number[]): string {
  return codes.length === 1 ? String(codes[0]) : `${codes.slice(0, -1).join(', ')} or ${codes[codes.length - 1]}`;
}

/** The request's bytes: HTTP/1.1 with Connection: close, the headers Node's client sent before. */
export function requestText(http: Pick<HttpCheck, 'method' | 'path'>, hostHeader: string): string {
  return `${http.method} ${http.path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: lbctl-health\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

// One connection and one hand-written request, read by ResponseReader (http-response.ts): Node's http client
// (ClientRequest, its parser, IncomingMessage, an Agent) is several times the CPU of this for one status line.
export const probeHttp: Prober = (endpoint, check, options) =>
  bounded(options, (run) => {
    const http: HttpCheck = { ...DEFAULT_HTTP_CHECK, expect_status: [...DEFAULT_HTTP_CHECK.expect_status], ...check.http };
    const tls = check.type === 'https';
    const request = requestText(http, http.host ?? authority(endpoint, tls ? 443 : 80));
    const family = isIP(endpoint.address) === 6 ? 6 : 4;
    // An address, never a name: a name reaching the resolver is a bug, refused by noLookup.
    const socket: Socket = tls
      ? tlsConnect({ host: endpoint.address, port: endpoint.port, family, lookup: noLookup, servername: serverName(http), rejectUnauthorized: http.insecure !== true, ca: options.ca } as ConnectionOptions)
      : netConnect({ host: endpoint.address, port: endpoint.port, family, lookup: noLookup });
    run.onSettle(() => socket.destroy());
    socket.on('error', (err) => run.failWith(err));
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      run.phase = 'waiting for the response';
      socket.write(request);
    });
    if (tls) socket.once('connect', () => (run.phase = 'in the TLS handshake'));
    const wantBody = http.body !== undefined && http.method !== 'HEAD';
    const want = wantBody ? Buffer.from(http.body!, 'utf8') : undefined;
    const reader = new ResponseReader(wantBody);
    const judge = (state: ReturnType<ResponseReader['feed']>): void => {
      if (state.kind === 'head') return;
      if (state.kind === 'invalid') return run.fail(state.problem);
      if (!http.expect_status.includes(state.status)) return run.fail(`status ${state.status}, expected ${expectedStatus(http.expect_status)}`);
      if (state.kind === 'status' || want === undefined) return run.ok();
      run.phase = 'reading the body';
      if (state.body.includes(want)) return run.ok();
      if (state.body.length >= READ_MAX) return run.fail(`body did not contain ${JSON.stringify(http.body)} in its first ${READ_MAX / 1024} KiB`);
      if (state.complete) run.fail(`body did not contain ${JSON.stringify(http.body)} (read ${state.body.length} bytes)`);
    };
    socket.on('data', (chunk: Buffer) => judge(reader.feed(chunk)));
    socket.on('end', () => judge(reader.end()));
  });
