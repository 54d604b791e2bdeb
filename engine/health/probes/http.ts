// http and https: one request on a fresh connection to the backend's own address and port. The Host header is
// `http.host` (absent = the backend's address); no name is ever looked up. https sends `http.sni` as the TLS
// server name (absent = the Host header when it is a name, none when it is an address) and verifies the
// certificate against that name (or the address) unless `http.insecure`. The status must be one of
// `expect_status`; with `http.body`, the body must contain it within its first 64 KiB.
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Prober, ProbeEndpoint } from '../types.js';
import type { HttpCheck } from '../../../config/model.js';
import { DEFAULT_HTTP_CHECK } from '../../../config/defaults.js';
import { bounded } from './bounded.js';
import { READ_MAX, appendBounded } from './bytes.js';

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

export const probeHttp: Prober = (endpoint, check, options) =>
  bounded(options, (run) => {
    const http: HttpCheck = { ...DEFAULT_HTTP_CHECK, expect_status: [...DEFAULT_HTTP_CHECK.expect_status], ...check.http };
    const tls = check.type === 'https';
    const base: RequestOptions = {
      host: endpoint.address,
      port: endpoint.port,
      family: isIP(endpoint.address) === 6 ? 6 : 4,
      lookup: noLookup,
      method: http.method,
      path: http.path,
      agent: false,
      setHost: false,
      headers: { host: http.host ?? authority(endpoint, tls ? 443 : 80), 'user-agent': 'lbctl-health', accept: '*/*', connection: 'close' },
    };
    const req: ClientRequest = tls
      ? httpsRequest({ ...base, servername: serverName(http), rejectUnauthorized: http.insecure !== true, ca: options.ca })
      : httpRequest(base);
    run.onSettle(() => req.destroy());
    req.on('error', (err) => run.failWith(err));
    req.on('socket', (socket) => {
      run.onSettle(() => socket.destroy());
      socket.once('connect', () => (run.phase = tls ? 'in the TLS handshake' : 'waiting for the response'));
      socket.once('secureConnect', () => (run.phase = 'waiting for the response'));
    });
    req.on('response', (res: IncomingMessage) => {
      run.onSettle(() => res.destroy());
      const status = res.statusCode ?? 0;
      if (!http.expect_status.includes(status)) return run.fail(`status ${status}, expected ${expectedStatus(http.expect_status)}`);
      if (http.body === undefined || http.method === 'HEAD') return run.ok();
      run.phase = 'reading the body';
      const want = Buffer.from(http.body, 'utf8');
      let body: Buffer = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        body = appendBounded(body, chunk);
        if (body.includes(want)) return run.ok();
        if (body.length >= READ_MAX) run.fail(`body did not contain ${JSON.stringify(http.body)} in its first ${READ_MAX / 1024} KiB`);
      });
      res.on('end', () => run.fail(`body did not contain ${JSON.stringify(http.body)} (read ${body.length} bytes)`));
      res.on('error', (err) => run.failWith(err));
    });
    req.end();
  });
