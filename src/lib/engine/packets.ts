// Packet helpers: counting, concatenating and copying packets, and frame-major ↔ channel-major
// conversion. Runs anywhere. `concatPackets` allocates (flush path only, not per chunk online).
import type { StreamDescriptor } from '../core/stream';
import type { FramesPacket, Packet } from './types';
import { transposeInto } from '../dsp/layout';

export { transposeInto };

/** Items a packet carries: frames, events, epochs or spectra. */
export function packetItems(p: Packet): number {
  switch (p.kind) {
    case 'signal':
    case 'features':
      return p.frames;
    case 'markers':
      return p.events.length;
    case 'epochs':
    case 'spectrum':
      return p.items.length;
    case 'value':
      return 1;
  }
}

/** Joins two packets of the same kind (b after a). Used when a flush follows a final process call. */
export function concatPackets(a: Packet, b: Packet): Packet {
  if (a.kind !== b.kind) throw new Error(`cannot join ${a.kind} and ${b.kind} packets`);
  switch (a.kind) {
    case 'signal':
    case 'features': {
      const bb = b as FramesPacket;
      const ch = a.stream.channels.length;
      const samples = new Float32Array((a.frames + bb.frames) * ch);
      samples.set(a.samples.subarray(0, a.frames * ch));
      samples.set(bb.samples.subarray(0, bb.frames * ch), a.frames * ch);
      const ts = new Float64Array(a.frames + bb.frames);
      ts.set(a.timestampsMs.subarray(0, a.frames));
      ts.set(bb.timestampsMs.subarray(0, bb.frames), a.frames);
      let targets: Float64Array | undefined;
      if (a.targets || bb.targets) {
        targets = new Float64Array(a.frames + bb.frames).fill(NaN);
        if (a.targets) targets.set(a.targets.subarray(0, a.frames));
        if (bb.targets) targets.set(bb.targets.subarray(0, bb.frames), a.frames);
      }
      return { kind: a.kind, stream: bb.stream, samples, timestampsMs: ts, frames: a.frames + bb.frames, targets };
    }
    case 'markers':
      return { kind: 'markers', events: [...a.events, ...(b as typeof a).events] };
    case 'epochs':
      return { kind: 'epochs', stream: a.stream, items: [...a.items, ...(b as typeof a).items] };
    case 'spectrum':
      return { ...a, items: [...a.items, ...(b as typeof a).items] };
    case 'value':
      return b;
  }
}

/** Frames packet from channel-major rows (`rows[c][n]`); for tests and file adapters. */
export function framesFromChannelMajor(
  stream: StreamDescriptor,
  data: ArrayLike<number>,
  frames: number,
  t0Ms = 0,
  kind: 'signal' | 'features' = 'signal',
): FramesPacket {
  const ch = stream.channels.length;
  const samples = new Float32Array(frames * ch);
  for (let c = 0; c < ch; c++) for (let n = 0; n < frames; n++) samples[n * ch + c] = data[c * frames + n];
  const ts = new Float64Array(frames);
  const dt = stream.sampleRateHz > 0 ? 1000 / stream.sampleRateHz : 1;
  for (let n = 0; n < frames; n++) ts[n] = t0Ms + n * dt;
  return { kind, stream, samples, timestampsMs: ts, frames };
}

/** Channel-major float64 copy (`out[c * frames + n]`) of frame-major samples. */
export function toChannelMajor(samples: ArrayLike<number>, frames: number, channels: number): Float64Array {
  return transposeInto(samples, frames, channels, new Float64Array(frames * channels));
}

/** A sub-range of frames (copies). */
export function sliceFrames(p: FramesPacket, start: number, end: number): FramesPacket {
  const ch = p.stream.channels.length;
  return {
    kind: p.kind,
    stream: p.stream,
    samples: p.samples.slice(start * ch, end * ch),
    timestampsMs: p.timestampsMs.slice(start, end),
    frames: end - start,
    targets: p.targets?.slice(start, end),
  };
}

/** Descriptor with new channels (and optionally a new rate/kind), keeping id and name. */
export function withChannels(
  s: StreamDescriptor,
  channels: StreamDescriptor['channels'],
  patch: Partial<Pick<StreamDescriptor, 'sampleRateHz' | 'kind'>> = {},
): StreamDescriptor {
  return { ...s, ...patch, channels };
}
