// What a long-lived engine host's first commit would otherwise build, built at an idle moment after the start:
// the index of the rules across services and each service's own checks (config/across-services.ts), the digests
// of the revision hash (config/equal.ts), and the comment-keeping YAML library that rewrites a file. In the kernel
// VM at 10,000 services these were 10 of the first commit's 14 seconds; on a host, half a second.
import type { Config } from '../config/model.js';
import { validateConfig } from '../config/validate.js';
import { configHash } from '../config/equal.js';
import { loadYamlLibrary } from '../config/yaml-lib.js';

/** Builds the running configuration's memos (synchronous: call it when nothing waits). */
export function warmCommitPath(running: Config): void {
  validateConfig(running);
  configHash(running);
  loadYamlLibrary();
}
