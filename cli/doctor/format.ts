// `lbctl doctor`'s words: an aligned STATUS / CHECK / DETAIL table, each non-ok finding followed by its
// `  fix:` lines, and a summary; or one JSON object.
import { countFindings, exitCode, type Finding } from './checks.js';

export function formatFindings(findings: readonly Finding[]): string {
  const header = ['STATUS', 'CHECK', 'DETAIL'];
  const widths = [0, 1].map((i) => Math.max(header[i].length, ...findings.map((f) => (i === 0 ? f.status : f.check).length)));
  const row = (status: string, check: string, detail: string) =>
    `${status.padEnd(widths[0])}  ${check.padEnd(widths[1])}  ${detail}`.trimEnd();
  const out = [row(header[0], header[1], header[2])];
  for (const f of findings) {
    out.push(row(f.status, f.check, f.detail));
    for (const l of f.lines ?? []) out.push(`    ${l}`);
    if (f.status !== 'ok') for (const fix of f.fix ?? []) out.push(`  fix: ${fix}`);
  }
  out.push('');
  out.push(summaryLine(findings));
  return out.join('\n') + '\n';
}

/** `7 ok, 2 warnings, 1 error` */
export function summaryLine(findings: readonly Finding[]): string {
  const n = countFindings(findings);
  return `${n.ok} ok, ${n.warnings} warning${n.warnings === 1 ? '' : 's'}, ${n.errors} error${n.errors === 1 ? '' : 's'}`;
}

export function findingsJson(findings: readonly Finding[], context: { configPath: string; stateDir: string; lab: boolean }): string {
  const report = {
    ok: exitCode(findings) === 0,
    ...context,
    summary: countFindings(findings),
    findings: findings.map((f) => ({ check: f.check, status: f.status, detail: f.detail, lines: f.lines ?? [], fix: f.status === 'ok' ? [] : (f.fix ?? []) })),
  };
  return JSON.stringify(report, null, 2) + '\n';
}
