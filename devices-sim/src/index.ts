/** The device simulator's public API; `@linli/devices-sim` resolves here. The CLI (cli.ts) is a thin layer over it. */
export { AcceleratedClock, type Cancel, type Clock, ManualClock, type RealTime } from './clock';
export { type CommunityCounts, type CommunityOptions, type CommunityReport, HEARTBEAT_REAL_SEC, runCommunity } from './community';
export { type CommunityRates, DEFAULT_RATES } from './community-routines';
export * from './devices';
export { DEFAULT_MIX, type LoadDevice, type LoadOptions, type LoadReport, formatLoadReport, runLoad } from './load';
export { runPaced } from './load/pacer';
export { type Log, createLog, silentLog } from './log';
export { type Population, type SeedSecrets, type SimResident, loadSecrets, populationOf } from './population';
export { Random } from '@linli/gateway/random';
export { type Scenario, type ScenarioContext, type ScenarioResult, findScenario, resolveParams, runScenario, scenarios } from './scenarios';
export { LatencyRecorder, type LatencySummary } from './stats';
export { type World, type WorldOptions, createWorld } from './world';
