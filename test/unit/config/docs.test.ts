// docs/config.md must list every field with its current default: its table is the generated reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fieldReference, referenceMarkdown } from '../../../config/reference.js';
import { REPO_ROOT } from './helpers.js';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'config.md'), 'utf8');

test('docs/config.md holds the field table generated from the schema and the defaults', () => {
  const m = /<!-- fields:begin[^>]*-->\n([\s\S]*?)<!-- fields:end -->/.exec(doc);
  assert.ok(m, 'the markers are there');
  assert.equal(m[1], referenceMarkdown(), "regenerate with: node -e \"import('./build/config/reference.js').then(m=>process.stdout.write(m.referenceMarkdown()))\"");
});

test('the reference covers the defaults operators ask about', () => {
  const byPath = new Map(fieldReference().map((f) => [f.path, f]));
  assert.equal(byPath.get('services[].scheduler')?.default, 'wlc');
  assert.equal(byPath.get('services[].forwarding.method')?.default, 'nat');
  assert.equal(byPath.get('services[].on_down')?.default, 'inhibit');
  assert.equal(byPath.get('services[].health.interval_ms')?.default, '1000');
  assert.equal(byPath.get('observability.prometheus.bind')?.default, '127.0.0.1');
  assert.equal(byPath.get('observability.prometheus.port')?.default, '9469');
  assert.equal(byPath.get('daemon.revisions_kept')?.default, '50');
  assert.equal(byPath.get('observability.audit.path')?.default, '/var/log/lbctl/audit.jsonl');
  assert.equal(byPath.get('services[].backends[].address')?.required, true);
});
