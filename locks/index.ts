// The locks of lbctl: commit (short, queued), configure exclusive (long, named), daemon (single instance).
export * from './holder.js';
export * from './lock.js';
export * from './paths.js';
export * from './commit-lock.js';
export * from './exclusive-lock.js';
export * from './daemon-lock.js';
