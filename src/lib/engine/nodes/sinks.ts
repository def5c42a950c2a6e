// Sink node classes that hand a pipeline's data to clients outside the engine: the WebSocket sink of
// Instinct streams (API.md §9.5). Runs in the engine worker or Node. The node only turns each
// packet into a plain chunk and gives it to the publisher the host bound (which fans it out to
// BroadcastChannel, SSE, the page's socket shim and the bridge); it never waits for a client.
import { InputError } from '../../core/errors';
import type { NodeClass, Packet } from '../types';
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
 * The one place that reads a packet's shape. The packet model is being reworked (NeuroPype's
 * chunks and axes): keep this adapter tiny, and change only it when packets change.
 * Allocates (plain arrays for JSON); not for the acquisition loop.
 */
export function sinkChunkOf(packet: Packet): SinkChunk | undefined {
  if (packet.kind === 'signal' || packet.kind === 'features') {
    const ch = packet.stream.channels.length;
    const data: number[][] = [];
    const timestamps: number[] = [];
    for (let f = 0; f < packet.frames; f++) {
      data.push(Array.from(packet.samples.subarray(f * ch, f * ch + ch)));
      timestamps.push(packet.timestampsMs[f]);
    }
    return { t: timestamps[timestamps.length - 1] ?? 0, sampleRate: packet.stream.sampleRateHz, channels: packet.stream.channels.map((c) => c.label), timestamps, data };
  }
  if (packet.kind === 'markers') {
    const markers = packet.events.map((e) => ({ t: e.timestampMs, value: e.value }));
    return { t: markers[markers.length - 1]?.t ?? 0, sampleRate: 0, channels: [], timestamps: markers.map((m) => m.t), markers };
  }
  return undefined;
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

- **in \`data\`** (signal | features | markers).
- **port** (int): the sink's port number (1–65535), as on the headset.`,
  inputs: [input('data', ['signal', 'features', 'markers'], 'Chunks to publish.')],
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
        const d = inputs.data;
        if (!d || !publisher) return;
        const chunk = sinkChunkOf(d);
        if (chunk) publisher.publish(chunk);
      },
      reset() {},
    };
  },
};
