// Node's errors in the words an operator reads in `show health`: "connection refused", not ECONNREFUSED.

const ERRNO_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the backend',
  EPIPE: 'connection closed by the backend while sending',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ETIMEDOUT: 'timed out (the kernel gave up connecting)',
  EADDRNOTAVAIL: 'address not available on this machine',
  EADDRINUSE: 'no free local port',
  EACCES: 'not permitted (a firewall or a privileged port)',
  EPERM: 'not permitted (a firewall refused the packet)',
  EMSGSIZE: 'message too long for the path',
};

const TLS_WORDS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate (not trusted)',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain (not trusted)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not trusted: its issuer is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate not trusted: its issuer is unknown',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate not trusted: its issuer is unknown',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature is invalid',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the backend does not speak TLS on this port',
};

/** An error as a short sentence; unknown errors keep their own message. */
export function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as { code?: unknown; message?: unknown; reason?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code === 'EPROTO' || code?.startsWith('ERR_SSL_')) {
    // OpenSSL's words: "…:SSL routines:ssl3_get_record:wrong version number:…".
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1];
    if (reason === 'wrong version number') return TLS_WORDS.ERR_SSL_WRONG_VERSION_NUMBER;
    if (reason !== undefined) return `TLS failed: ${reason}`;
  }
  if (code !== undefined) {
    if (code in ERRNO_WORDS) return ERRNO_WORDS[code];
    if (code in TLS_WORDS) return TLS_WORDS[code];
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `certificate does not match the name: ${typeof e.reason === 'string' ? e.reason : message}`;
    if (code.startsWith('HPE_')) return `invalid HTTP response (${message.replace(/^Parse Error: /, '')})`;
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return `TLS failed: ${message}`;
  }
  if (message === 'socket hang up') return 'connection closed before a response';
  return message;
}
