// A lab with the services a test writes, removed after the test, and `lbctl shell --lab -c` whose output must
// succeed, as lines: what the line-mode tests of drains and of deactivate compare exactly.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeLab, shell, type Lab } from './lab-daemon.js';

/** Service web on the lab's default VIP, port 80: 198.51.100.11 (weight 100) and 198.51.100.12 (weight 50). */
export const WEB_TWO_BACKENDS = `services:
  - name: web
    protocol: tcp
    ports: [80]
    backends:
      - {address: 198.51.100.11, port: 80, weight: 100}
      - {address: 198.51.100.12, port: 80, weight: 50}
`;

/** A lab whose config.d/web.yaml is `servicesYaml`; removed after the test. */
export function labWith(t: { after(fn: () => void): void }, servicesYaml: string): Lab {
  const l = makeLab('');
  writeFileSync(join(l.config, 'config.d', 'web.yaml'), servicesYaml);
  t.after(() => rmSync(l.home, { recursive: true, force: true }));
  return l;
}

/** The output lines of `lbctl shell -c commands`, which must exit 0. */
export function shellLines(l: Lab, commands: string): string[] {
  const r = shell(l, commands);
  assert.equal(r.code, 0, r.out);
  return r.out.trimEnd().split('\n');
}
