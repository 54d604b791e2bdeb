// The words of the shell's first screen that are known before the session opens: the node's name as the prompt
// shows it, the prompt at exec level, and the banner's first two lines. One definition, used by the session
// (shell/session.ts) and by the prompt painted before the session's modules have loaded (shell/first-screen.ts),
// so that the two can never disagree on a character.
import { hostname } from 'node:os';
import { escapeControls } from './visible.js';

/** The machine's short host name: the node's name when the configuration gives none. */
export function systemNodeName(): string {
  return hostname().split('.')[0] || 'lbctl';
}

/** What the prompt shows before its mode: the node's name, marked `[lab]` with --lab. */
export function promptHost(nodeName: string, lab: boolean): string {
  return nodeName + (lab ? '[lab]' : '');
}

/** The exec-level prompt: `lb1#`, or `lb1>` for a read-only operator. */
export function execPrompt(nodeName: string, lab: boolean, readOnly: boolean): string {
  return promptHost(nodeName, lab) + (readOnly ? '>' : '#');
}

/** The banner's first lines: version, node, running revision. */
export function bannerHead(version: string, nodeName: string, revision: number): string {
  return `lbctl ${version} on ${escapeControls(nodeName)}\nRunning configuration: revision ${revision}`;
}
