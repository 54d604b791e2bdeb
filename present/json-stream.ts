// JSON written in pieces: an object whose long lists (10,000 services) are produced one element at a time, giving
// exactly the text of JSON.stringify(object, null, 2), which would need the whole object and the whole text.

/** A list in `jsonPieces`'s fields: its elements are produced (and dropped) one by one. */
export class JsonList {
  constructor(readonly items: Iterable<unknown>) {}
}

const indent = (text: string, by: string) => text.replace(/\n/g, '\n' + by);

/** `{"key": value, …}` as JSON.stringify(…, null, 2) writes it, in pieces; JsonList values element by element. */
export function* jsonPieces(fields: [string, unknown][]): Generator<string> {
  const present = fields.filter(([, v]) => v !== undefined);
  if (present.length === 0) {
    yield '{}';
    return;
  }
  yield '{';
  for (const [k, [key, value]] of present.entries()) {
    const sep = k < present.length - 1 ? ',' : '';
    if (!(value instanceof JsonList)) {
      yield `\n  ${JSON.stringify(key)}: ${indent(JSON.stringify(value, null, 2), '  ')}${sep}`;
      continue;
    }
    let first = true;
    for (const item of value.items) {
      yield `${first ? `\n  ${JSON.stringify(key)}: [` : ','}\n    ${indent(JSON.stringify(item, null, 2), '    ')}`;
      first = false;
    }
    yield first ? `\n  ${JSON.stringify(key)}: []${sep}` : `\n  ]${sep}`;
  }
  yield '\n}';
}

/** Pieces of text gathered into chunks of about `size` characters: a few dozen writes instead of thousands. */
export function* chunkedPieces(pieces: Iterable<string>, size = 64 * 1024): Generator<string> {
  let piece: string[] = [];
  let length = 0;
  for (const p of pieces) {
    piece.push(p);
    length += p.length;
    if (length >= size) {
      yield piece.join('');
      piece = [];
      length = 0;
    }
  }
  if (piece.length) yield piece.join('');
}
