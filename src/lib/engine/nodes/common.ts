// Shared pieces for node classes: port/param shorthands, reusable output buffers, and the packet
// contract every node follows. Runs in the engine worker / Node.
//
// Packet contract: a packet's arrays are valid only during the step that delivers it (sources and
// filters reuse their buffers); nodes never mutate their inputs and copy whatever they keep.
import { InputError } from '../../core/errors';
import { normLabel } from '../../core/labels';
import type { StreamDescriptor } from '../../core/stream';
import type { DataKind, FramesPacket, InputMeta, InputPortSpec, NeuroPypeAlias, OutputPortSpec, ParamSpec } from '../types';

export function np(cls: string, pkg: string): NeuroPypeAlias {
  return { class: cls, module: `neuropype.nodes.${pkg}.${cls}`, package: pkg };
}

export function input(name: string, kinds: DataKind[], doc: string, optional = false): InputPortSpec {
  return { name, title: titleCase(name), kinds, doc, optional };
}

export function output(name: string, kind: OutputPortSpec['kind'], doc: string): OutputPortSpec {
  return { name, title: titleCase(name), kind, doc };
}

function titleCase(s: string): string {
  return s.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}

type P = Omit<ParamSpec, 'name' | 'title' | 'type' | 'default' | 'doc'> & { title?: string };

function param(type: ParamSpec['type'], name: string, def: unknown, doc: string, extra: P = {}): ParamSpec {
  return { name, title: extra.title ?? titleCase(name), type, default: def, doc, ...extra };
}

export const p = {
  bool: (name: string, def: boolean, doc: string, extra?: P) => param('bool', name, def, doc, extra),
  int: (name: string, def: number | null, doc: string, extra?: P) => param('int', name, def, doc, { nullable: def === null, ...extra }),
  float: (name: string, def: number | null, doc: string, extra?: P) => param('float', name, def, doc, { nullable: def === null, ...extra }),
  string: (name: string, def: string | null, doc: string, extra?: P) => param('string', name, def, doc, { nullable: def === null, ...extra }),
  enum: (name: string, def: string, values: readonly string[], doc: string, extra?: P) => param('enum', name, def, doc, { domain: values, ...extra }),
  list: (name: string, def: unknown[] | null, doc: string, extra?: P) => param('list', name, def, doc, { nullable: def === null, ...extra }),
  dict: (name: string, def: Record<string, unknown> | null, doc: string, extra?: P) => param('dict', name, def, doc, { nullable: def === null, ...extra }),
  any: (name: string, def: unknown, doc: string, extra?: P) => param('any', name, def, doc, extra),
};

/** The usual single data input / output pair. */
export const SIGNAL_IN = input('data', ['signal'], 'Continuous signal chunks.');
export const SIGNAL_OUT = output('data', { sameAs: 'data' }, 'Processed chunks, same stream layout unless stated.');

/** Grow-only Float32 scratch: returns a view of exactly `n` values (contents undefined). */
export class Scratch32 {
  private buf = new Float32Array(0);
  view(n: number): Float32Array {
    if (this.buf.length < n) this.buf = new Float32Array(Math.max(n, this.buf.length * 2));
    return this.buf.subarray(0, n);
  }
}

/** Exact-length sample view of a frames packet. */
export function samplesOf(p: FramesPacket): Float32Array {
  const n = p.frames * p.stream.channels.length;
  return p.samples.length === n ? p.samples : p.samples.subarray(0, n);
}

/** A frames packet with new samples (same timestamps, targets), optionally a new descriptor. */
export function withSamples(p: FramesPacket, samples: Float32Array, stream: StreamDescriptor = p.stream): FramesPacket {
  return { kind: p.kind, stream, samples, timestampsMs: p.timestampsMs, frames: p.frames, targets: p.targets };
}

/** Sample rate of a stream, or an InputError when it is irregular. */
export function rateOf(stream: StreamDescriptor, who: string): number {
  if (!(stream.sampleRateHz > 0)) throw new InputError(`needs a regularly sampled stream; "${stream.name}" has no nominal rate`, who);
  return stream.sampleRateHz;
}

/** The stream arriving on a port, from the runtime's input metadata. */
export function metaStream(meta: InputMeta, port = 'data'): StreamDescriptor | undefined {
  return meta[port]?.stream;
}

/** Resolves channel names/indices/types to indices; throws naming the missing ones. */
export function resolveChannels(stream: StreamDescriptor, selection: unknown[], unit: 'names' | 'indices' | 'types', who: string): number[] {
  const out: number[] = [];
  const labels = stream.channels.map((c) => c.label);
  const missing: string[] = [];
  for (const s of selection) {
    if (unit === 'indices') {
      const i = Number(s);
      if (!Number.isInteger(i) || i < 0 || i >= labels.length) missing.push(String(s));
      else out.push(i);
    } else if (unit === 'names') {
      const name = String(s);
      let i = labels.indexOf(name);
      if (i < 0) i = labels.findIndex((l) => normLabel(l) === normLabel(name));
      if (i < 0) missing.push(name);
      else out.push(i);
    } else {
      const t = String(s).toUpperCase();
      let any = false;
      stream.channels.forEach((c, i) => {
        if (c.type.toUpperCase() === t) {
          out.push(i);
          any = true;
        }
      });
      if (!any) missing.push(String(s));
    }
  }
  if (missing.length) {
    throw new InputError(`channel ${unit === 'types' ? 'type' : unit === 'indices' ? 'index' : 'label'}(s) ${missing.map((m) => `"${m}"`).join(', ')} not in stream "${stream.name}" (channels: ${labels.slice(0, 12).join(', ')}${labels.length > 12 ? ', …' : ''})`, who);
  }
  return out;
}

/** Re-exported for the nodes that import it from here (it lives in core/labels.ts since dsp/ uses it too). */
export { normLabel };
