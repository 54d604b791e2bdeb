// The health-check runtime: probers, the per-target verdict machine, the scheduler, the config → targets
// mapping and the lab's guard. docs/health.md describes it; the daemon plugs it in (see there).
export type { CheckDefinition, ProbeEndpoint, ProbeOptions, ProbeResult, Prober, ProbeType } from './types.js';
export { probe, probeDns, probeHttp, probeTcp, probeUdpEcho } from './probes/index.js';
export { initialVerdict, nextVerdict, type HealthState, type Transition, type Verdict, type VerdictPolicy } from './verdict.js';
export { HealthScheduler, NO_PORT, realTimers, type HealthEvents, type ScheduledTarget, type SchedulerOptions, type TargetStatus, type Timers } from './scheduler.js';
export { checkDefinition, checkPort, healthTargets, serviceTargets, targetKey, type BackendUse, type HealthTarget } from './targets.js';
export { LAB_NOT_PROBED, anyAddress, loopbackOnly } from './lab.js';
export type { HealthReport, HealthRow, HealthRowState, HealthServiceSummary, ManualHealthRequest, ManualHealthResult } from './report.js';
