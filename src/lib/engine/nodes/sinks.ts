// Sink node classes that hand a pipeline's data to clients outside the engine: the WebSocket sink of
// Instinct streams (API.md §9.5). Runs in the engine worker or Node. The node only turns each
// packet into a plain chunk and gives it to the publisher the host bound (which fans it out to
// BroadcastChannel, SSE, the page's socket shim and the bridge); it never waits for a client.
import { InputError } from '../../core/errors';
import { descriptorOf, framesOf, markersOf, type Chunk } from '../packet';
import { kindOfChunk } from '../shapes';
import type { NodeClass } from '../types';
import { input, p } from './common';

/**
 * One chunk as sink clients receive it (JSON). `data[f][c]` is frame f, channel c, aligned with
 * `timestamps[f]` (ms on the shared clock, epoch-based); `t` is the last frame's time. A markers
 * chunk has `markers` instead of `data`.
 */
export interface SinkChunk {
  t: number;
  sampleRate: number;
  channels: string[];
  timestamps: number[];
  data?: number[][];
  markers?: { t: number; value: string }[];
}

/** What a sink node is bound to (api/instinct-sinks.ts `SinkHub.publisher`). Must return at once. */
export interface SinkPublisher {
  publish(chunk: SinkChunk): void;
}

/**
 * The one place that reads a chunk's layout: signal and feature chunks (rows along their time or
 * instance axis, every other axis flattened into the row) and marker chunks; epochs and spectra are
 * not published. Allocates (plain arrays for JSON); not for the acquisition loop.
 */
export function sinkChunkOf(name: string, c: Chunk): SinkChunk | undefined {
  const kind = kindOfChunk(name, c);
  if (kind === 'markers') {
    const markers = markersOf(c).map((e) => ({ t: e.timestampMs, value: e.value }));
    return { t: markers[markers.length - 1]?.t ?? 0, sampleRate: 0, channels: [], timestamps: markers.map((m) => m.t), markers };
  }
  if (kind !== 'signal' && kind !== 'features') return undefined;
  const { samples, timestampsMs, frames, width } = framesOf(c);
  const data: number[][] = [];
  for (let f = 0; f < frames; f++) data.push(Array.from(samples.subarray(f * width, f * width + width)));
  const stream = descriptorOf(c);
  return { t: timestampsMs[frames - 1] ?? 0, sampleRate: stream.sampleRateHz, channels: stream.channels.map((ch) => ch.label), timestamps: Array.from(timestampsMs.subarray(0, frames)), data };
}

export const webSocketSink: NodeClass = {
  type: 'io.websocket-sink',
  package: 'io',
  title: 'WebSocket sink',
  version: '1.0.0',
  doc: `Publishes every chunk that reaches it to clients of the Instinct sink on \`port\` (Instinct's
\`WebSocket\` consumer node): \`BroadcastChannel("instinct:<port>")\`, SSE at
\`/instinct/_sinks/<port>/events\`, the page shim \`ws://<origin>/instinct/_sinks/<port>\` and, through
\`neurotab bridge\`, a real WebSocket server. One JSON message per chunk:
\`{nodeId, streamId, port, t, sampleRate, channels, timestamps, data}\` with \`data[frame][channel]\`
(markers: \`markers: [{t, value}]\` instead of \`data\`). A client that stops reading is dropped; the
engine never waits for one.

- **in \`data\`** (signal, feature and marker chunks; one message per chunk).
- **port** (int): the sink's port number (1–65535), as on the headset.`,
  inputs: [input('data', [], 'Chunks to publish.')],
  outputs: [],
  params: [p.int('port', 8088, 'Sink port (Instinct config.port).', { domain: [1, 65535] })],
  create(_params, ctx) {
    let publisher: SinkPublisher | undefined;
    return {
      bind(b) {
        if (!b || typeof (b as SinkPublisher).publish !== 'function') throw new InputError('the WebSocket sink needs a publisher ({publish(chunk)})', ctx.nodeId);
        publisher = b as SinkPublisher;
      },
      process(inputs) {
        if (!inputs.data || !publisher) return;
        for (const [name, c] of inputs.data) {
          const chunk = sinkChunkOf(name, c);
          if (chunk) publisher.publish(chunk);
        }
      },
      reset() {},
    };
  },
};
