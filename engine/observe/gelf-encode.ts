// GELF 1.1 encoding, pure: a log record → the GELF JSON object, and a (compressed) payload → UDP chunks.
// Written here rather than taken from npm: gelf-pro (the maintained one) opens a new TCP connection per message
// and queues without bound, so a dead Graylog would pile up sockets; graylog2 is UDP only.
//
// GELF 1.1 (https://go2docs.graylog.org/current/getting_in_log_data/gelf.html):
//   version "1.1"; host; short_message; full_message (optional); timestamp = seconds since the epoch with decimals;
//   level = syslog severity; every other field is "additional": its name starts with `_`, matches [\w.-]+,
//   its value is a string or a number, and `_id` is reserved (Graylog's own message id).
//   UDP: a datagram is one message, or a chunk: 0x1e 0x0f, an 8-byte message id, the sequence number (0-based)
//   and the count (one byte each), then the data; at most 128 chunks, else the collector discards the message.
//   TCP: the uncompressed JSON followed by a NUL byte.
import { SYSLOG_PRIORITY, type LogFields, type LogRecord } from './log-format.js';

export const GELF_VERSION = '1.1';
export const CHUNK_MAGIC = Buffer.from([0x1e, 0x0f]);
/** Magic (2) + message id (8) + sequence number (1) + count (1). */
export const CHUNK_HEADER_BYTES = 12;
export const MAX_CHUNKS = 128;
/**
 * Largest datagram sent unchunked, and the size of each chunk. 8192 is what Graylog's own clients use on a LAN
 * (fits jumbo-less links after IP fragmentation, which loopback and LANs handle); 1420 suits a WAN.
 */
export const DEFAULT_MAX_DATAGRAM = 8192;

export type GelfMessage = Record<string, string | number>;

export interface GelfIdentity {
  /** The `host` field: this balancer's name. */
  host: string;
  /** observability.gelf.facility, sent as `_facility` (GELF 1.1 deprecates the top-level field). */
  facility: string;
}

const FIELD_NAME = /^[\w.-]+$/;

/** An additional field's name: `_` + the name with every character outside [\w.-] made `_`; `id` becomes `_id_`. */
export function additionalName(name: string): string {
  const clean = FIELD_NAME.test(name) ? name : name.replace(/[^\w.-]/g, '_');
  // `_id` is Graylog's message id: a record field named id must not overwrite it.
  return clean === 'id' ? '_id_' : `_${clean}`;
}

/**
 * Flattens one field into additional fields: nested objects join their keys with `_` (kernel.ok → `_kernel_ok`),
 * since GELF values are scalars; arrays become their JSON text; booleans the words true/false; null and
 * undefined are left out (a revision that did not exist is no value, not the string "null").
 */
function addField(out: GelfMessage, name: string, value: unknown, depth: number): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'number') out[additionalName(name)] = Number.isFinite(value) ? value : String(value);
  else if (typeof value === 'string') out[additionalName(name)] = value;
  else if (typeof value === 'boolean') out[additionalName(name)] = String(value);
  else if (Array.isArray(value) || typeof value !== 'object' || depth >= 3) out[additionalName(name)] = JSON.stringify(value) ?? String(value);
  else for (const [k, v] of Object.entries(value as Record<string, unknown>)) addField(out, `${name}_${k}`, v, depth + 1);
}

/** The GELF 1.1 message of a record. The first line of the message is short_message; a longer one is also full_message. */
export function gelfMessage(record: LogRecord, who: GelfIdentity): GelfMessage {
  const nl = record.message.indexOf('\n');
  const msg: GelfMessage = {
    version: GELF_VERSION,
    host: who.host,
    // An empty short_message is invalid GELF: Graylog rejects the message.
    short_message: (nl < 0 ? record.message : record.message.slice(0, nl)) || '-',
    timestamp: record.time / 1000,
    level: SYSLOG_PRIORITY[record.level],
  };
  if (nl >= 0) msg.full_message = record.message;
  msg._facility = who.facility;
  const fields: LogFields = record.fields;
  for (const [k, v] of Object.entries(fields)) {
    // A field named facility would silently replace the configured one: keep both.
    addField(msg, k === 'facility' ? 'field_facility' : k, v, 0);
  }
  return msg;
}

/**
 * The UDP datagrams of one (already compressed) payload: the payload itself when it fits in `maxDatagram`,
 * else chunks of at most `maxDatagram` bytes each, all carrying `messageId` (8 bytes). Null when more than
 * 128 chunks would be needed: the collector would discard them all, so the caller drops the record and counts it.
 */
export function gelfChunks(payload: Buffer, messageId: Buffer, maxDatagram = DEFAULT_MAX_DATAGRAM): Buffer[] | null {
  if (messageId.length !== 8) throw new RangeError(`GELF message id must be 8 bytes, got ${messageId.length}`);
  if (maxDatagram <= CHUNK_HEADER_BYTES) throw new RangeError(`datagram size ${maxDatagram} leaves no room after the ${CHUNK_HEADER_BYTES}-byte chunk header`);
  if (payload.length <= maxDatagram) return [payload];
  const per = maxDatagram - CHUNK_HEADER_BYTES;
  const count = Math.ceil(payload.length / per);
  if (count > MAX_CHUNKS) return null;
  const chunks: Buffer[] = [];
  for (let seq = 0; seq < count; seq++) {
    const data = payload.subarray(seq * per, (seq + 1) * per);
    const chunk = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + data.length);
    CHUNK_MAGIC.copy(chunk, 0);
    messageId.copy(chunk, 2);
    chunk[10] = seq;
    chunk[11] = count;
    data.copy(chunk, CHUNK_HEADER_BYTES);
    chunks.push(chunk);
  }
  return chunks;
}

/** The TCP frame: JSON, then the NUL that ends a message (a NUL inside would end it early: JSON escapes it as \u0000). */
export function gelfTcpFrame(message: GelfMessage): Buffer {
  return Buffer.from(JSON.stringify(message) + '\0', 'utf8');
}
