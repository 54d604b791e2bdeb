// The bounded TCP client the kernel suite's traffic tests run inside a client namespace (`node -e` of this
// script): `connections` echo exchanges of 1000 bytes each, one after another, to one address only; exit 0 when
// all are done, non-zero with the reason on stderr at the first error or a 10 s silence.
export function echoClientScript(address: string, port: number, connections: number): string {
  return `
        const net = require('net'); let left = ${connections};
        (function next() {
          if (!left--) return process.exit(0);
          const s = net.connect(${port}, '${address}'); let got = 0;
          s.setTimeout(10000, () => { console.error('timeout'); process.exit(2); });
          s.on('connect', () => s.write(Buffer.alloc(1000, 120)));
          s.on('data', (d) => { got += d.length; if (got >= 1000) s.end(); });
          s.on('error', (e) => { console.error(e.message); process.exit(1); });
          s.on('close', next);
        })();`;
}
