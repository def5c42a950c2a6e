// Instinct `executable` → our node classes (API.md §9.2): the headset's programs cannot run in a
// browser, so each node is mapped by program basename to one or a short chain of our nodes, with the
// config keys that program honours turned into parameters. Besides the table, every node class of
// ours answers by its type id ("filter.iir") or NeuroPype class name ("IIRFilter"), with `config`
// as its parameters, so any of our pipelines can be written as an Instinct stream.
// Runs where the streams run (engine host, Node); depends only on the registry's public surface.

import type { NodeRegistry } from '../engine/index';
import { findParam } from '../engine/index';
import { SYNTHETIC_LABELS, SYNTHETIC_MAX_RATE_HZ, SYNTHETIC_MIN_RATE_HZ } from '../devices/drivers/synthetic/generator';

/** How the streams engine binds a part: a generated signal, the host's device rings (like NeuroPype LSLInput), a sink publisher. */
export type PartBinding = 'generator' | 'host' | 'sink';

export interface MappedPart {
  type: string;
  params: Record<string, unknown>;
  binding?: PartBinding;
}

/** One Instinct node as our nodes: `parts` in data order (each feeds the next on `data`). */
export interface MappedNode {
  parts: MappedPart[];
  /** Generator settings (binding 'generator'): what the synthetic source produces. */
  generator?: GeneratorConfig;
}

export interface GeneratorConfig {
  sampleRateHz: number;
  /** Channel labels. */
  labels: string[];
  /** Sines per channel (cycled), µV and Hz; empty: the EEG-like synthetic signal. */
  amplitudesUv: number[];
  frequenciesHz: number[];
}

/** A config the program's mapping cannot use, said so: it becomes a 422 at start. */
export class ExecutableConfigError extends Error {
  override name = 'ExecutableConfigError';
}

/**
 * The program an executable names, lower-case: the last word of the command line, its basename
 * ("node /usr/share/engines/worker-scripts/SignalGenerator.js" → "signalgenerator.js").
 */
export function executableBasename(executable: string): string {
  const words = executable.trim().split(/\s+/);
  const last = words[words.length - 1] ?? '';
  return (last.split(/[\\/]/).pop() ?? '').toLowerCase();
}

const num = (v: unknown, what: string): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ExecutableConfigError(`${what} must be a number, not ${JSON.stringify(v)}`);
  return v;
};

const numbers = (v: unknown, what: string): number[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw new ExecutableConfigError(`${what} must be a list of numbers`);
  return v as number[];
};

/** `channels`: a count (the first 10-20 labels of the synthetic montage) or a list of labels. */
function channelLabels(v: unknown, fallback: number): string[] {
  if (v === undefined || v === null) return SYNTHETIC_LABELS.slice(0, fallback);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= SYNTHETIC_LABELS.length) return SYNTHETIC_LABELS.slice(0, v);
  if (Array.isArray(v) && v.length >= 1 && v.length <= 64 && v.every((x) => typeof x === 'string' && x !== '')) return v as string[];
  throw new ExecutableConfigError(`channels must be a channel count from 1 to 64 or a list of channel labels, not ${JSON.stringify(v)}`);
}

type ProgramMapper = (config: Record<string, unknown>) => MappedNode;

const signalGenerator: ProgramMapper = (c) => {
  const sampleRateHz = num(c.sampleRate, 'sampleRate') ?? 250;
  if (!(sampleRateHz >= 1 && sampleRateHz <= 20_000)) throw new ExecutableConfigError(`sampleRate must be from 1 to 20000 Hz, not ${sampleRateHz}`);
  const amplitudesUv = numbers(c.amplitudes, 'amplitudes');
  const frequenciesHz = numbers(c.frequencies, 'frequencies');
  if (frequenciesHz.some((f) => f < 0 || f >= sampleRateHz / 2)) throw new ExecutableConfigError(`frequencies must be from 0 Hz to below Nyquist (${sampleRateHz / 2} Hz)`);
  if (!frequenciesHz.length && (sampleRateHz < SYNTHETIC_MIN_RATE_HZ || sampleRateHz > SYNTHETIC_MAX_RATE_HZ))
    throw new ExecutableConfigError(`the EEG-like signal needs sampleRate from ${SYNTHETIC_MIN_RATE_HZ} to ${SYNTHETIC_MAX_RATE_HZ} Hz (or give frequencies for plain sines)`);
  return {
    parts: [{ type: 'io.stream-input', params: { query: '' }, binding: 'generator' }],
    generator: { sampleRateHz, labels: channelLabels(c.channels, 8), amplitudesUv, frequenciesHz },
  };
};

function iirPart(hp: number | undefined, lp: number | undefined, order: number | undefined): MappedPart {
  const params: Record<string, unknown> =
    hp !== undefined && lp !== undefined ? { mode: 'bandpass', frequencies: [hp, lp] } : hp !== undefined ? { mode: 'highpass', frequencies: [hp] } : { mode: 'lowpass', frequencies: [lp] };
  if (order !== undefined) params.order = order;
  return { type: 'filter.iir', params };
}

const signalFilter: ProgramMapper = (c) => {
  const hp = num(c.highpass, 'highpass');
  const lp = num(c.lowpass, 'lowpass');
  const notch = num(c.notch, 'notch');
  const order = num(c.order, 'order');
  const parts: MappedPart[] = [];
  if (hp !== undefined || lp !== undefined) parts.push(iirPart(hp, lp, order));
  if (notch !== undefined) parts.push({ type: 'filter.notch', params: { frequency: notch } });
  // Nothing asked for: the IIR filter's own default band (0.5–45 Hz edges).
  if (!parts.length) parts.push({ type: 'filter.iir', params: order !== undefined ? { order } : {} });
  return { parts };
};

/** The SDK's example `bandpass_filter` (cutoff ± bandwidth/2). */
const bandpassFilter: ProgramMapper = (c) => {
  const cutoff = num(c.cutoff, 'cutoff');
  const bandwidth = num(c.bandwidth, 'bandwidth');
  if (cutoff === undefined || bandwidth === undefined || !(bandwidth > 0) || cutoff - bandwidth / 2 <= 0)
    throw new ExecutableConfigError('bandpass_filter needs cutoff and bandwidth (Hz) with cutoff − bandwidth/2 > 0');
  return { parts: [iirPart(cutoff - bandwidth / 2, cutoff + bandwidth / 2, num(c.order, 'order'))] };
};

const webSocketSink: ProgramMapper = (c) => {
  const port = c.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new ExecutableConfigError(`WebSocket needs config.port, an integer 1–65535, not ${JSON.stringify(port)}`);
  return { parts: [{ type: 'io.websocket-sink', params: { port }, binding: 'sink' }] };
};

const logger: ProgramMapper = () => ({ parts: [{ type: 'compat.print', params: {} }] });

/** The device layer's EEG (bound by the host like NeuroPype's LSLInput), with channels and rate as asked. */
const eegSource: ProgramMapper = (c) => {
  const parts: MappedPart[] = [{ type: 'io.stream-input', params: { query: "type='EEG'" }, binding: 'host' }];
  if (typeof c.channels === 'number') {
    if (!Number.isInteger(c.channels) || c.channels < 1) throw new ExecutableConfigError('channels must be a positive channel count or a list of labels');
    parts.push({ type: 'channels.select', params: { selection: `0:${c.channels}`, unit: 'indices' } });
  } else if (c.channels !== undefined && c.channels !== null) parts.push({ type: 'channels.select', params: { selection: channelLabels(c.channels, 8), unit: 'names' } });
  const rate = num(c.sampleRate, 'sampleRate');
  if (rate !== undefined) parts.push({ type: 'filter.resample', params: { rate } });
  return { parts };
};

/** Program basenames (lower-case, extension, `-` and `_` removed) → mapping (API.md §9.2 table). */
const PROGRAMS: Record<string, ProgramMapper> = {
  signalgenerator: signalGenerator,
  signalfilter: signalFilter,
  bandpassfilter: bandpassFilter,
  websocket: webSocketSink,
  logger,
  eegsource: eegSource,
  eeg: eegSource,
};

/** The table's keys, for messages and docs. */
export const INSTINCT_PROGRAMS = ['SignalGenerator / signal-generator', 'signal-filter', 'bandpass_filter', 'WebSocket', 'Logger', 'EEGSource / eeg / eeg_source'] as const;

const programKey = (s: string) => s.replace(/[-_]/g, '');

/**
 * Maps one node; null when nothing matches (unsupported executable). Throws ExecutableConfigError
 * when the program is known but its config cannot be used.
 */
export function mapExecutable(executable: string, config: Record<string, unknown>, registry: NodeRegistry): MappedNode | null {
  const base = executableBasename(executable);
  if (base === '') return null;
  const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  const program = PROGRAMS[programKey(base)] ?? PROGRAMS[programKey(stem)];
  if (program) return program(config);
  // One of our node classes by type id (which has dots, so try the whole basename first) or NeuroPype class name.
  const word = executable.trim().split(/\s+/).pop()!.split(/[\\/]/).pop()!;
  const cls = registry.find(base) ?? registry.find(word) ?? registry.find(stem) ?? registry.list().find((c) => c.neuropype?.class.toLowerCase() === stem);
  if (!cls) return null;
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    const spec = findParam(cls, k);
    if (!spec) {
      if (cls.lenientParams) continue;
      throw new ExecutableConfigError(`${cls.type} has no parameter "${k}" (parameters: ${cls.params.map((p) => p.name).join(', ') || 'none'})`);
    }
    params[spec.name] = v;
  }
  const binding: PartBinding | undefined = cls.type === 'io.websocket-sink' ? 'sink' : cls.source || cls.type.startsWith('io.') ? 'host' : undefined;
  return { parts: [{ type: cls.type, params, ...(binding ? { binding } : {}) }] };
}
