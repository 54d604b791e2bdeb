// The daemon's log vocabulary lives with the logger (engine/observe/); daemon modules keep importing it here.
export type { Log, LogFields, LogLevel } from '../observe/log-format.js';
