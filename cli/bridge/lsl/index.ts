// Lab Streaming Layer for the bridge, in TypeScript over Node's dgram and net (no native code):
// discovery, outlets, inlets, clock offsets, as liblsl 1.16 speaks them. Node only. See
// docs/lsl.md for what is implemented and how it was checked against liblsl.
export { DEDUCED_TIMESTAMP, LSL_DEFAULTS, lslClock, lslConfig, lslToAppMs, type LslConfig, type LslLog } from './config';
export { ContinuousResolver, resolve, resolveByPredicate, resolveByProperty, resolveStreams, type ResolveOptions } from './discovery';
export { fetchFullinfo, LslInlet, recoveryQuery, type InletEvent, type InletOptions, type SampleChunk } from './inlet';
export { LslOutlet, type OutletOptions, type PushValues } from './outlet';
export { propertyQuery, quote } from './query';
export { descElement, streamChannels, type ChannelFormat, type LslChannel, type LslChannelSpec, type StreamInfo } from './stream-info';
export type { TimeCorrection } from './time-sync';
