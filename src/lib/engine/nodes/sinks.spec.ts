import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors';
import { instantiate, makeStream } from '../testing';
import type { FramesPacket } from '../types';
import { sinkChunkOf, webSocketSink, type SinkChunk } from './sinks';

const stream = makeStream(['Cz', 'Pz'], 250);
const frames = (samples: number[], t0: number): FramesPacket => {
  const n = samples.length / 2;
  return { kind: 'signal', stream, samples: Float32Array.from(samples), timestampsMs: Float64Array.from({ length: n }, (_, i) => t0 + i * 4), frames: n };
};

describe('io.websocket-sink', () => {
  it('publishes each chunk as frames × channels with its timestamps, labels and rate', () => {
    const { node } = instantiate(webSocketSink, { port: 8088 });
    const got: SinkChunk[] = [];
    node.bind!({ publish: (c: SinkChunk) => got.push(c) });
    node.process({ data: frames([1, -1, 2.5, -2.5, 3, -3], 1000) });
    expect(got).toEqual([{ t: 1008, sampleRate: 250, channels: ['Cz', 'Pz'], timestamps: [1000, 1004, 1008], data: [[1, -1], [2.5, -2.5], [3, -3]] }]);
  });

  it('publishes markers as {t, value}, and nothing while unbound', () => {
    const { node } = instantiate(webSocketSink, {});
    node.process({ data: frames([1, 2], 0) }); // unbound: nothing to do, no error
    const got: SinkChunk[] = [];
    node.bind!({ publish: (c: SinkChunk) => got.push(c) });
    node.process({ data: { kind: 'markers', events: [{ timestampMs: 5, value: 'left' }, { timestampMs: 9, value: 'right' }] } });
    expect(got[0]).toMatchObject({ t: 9, markers: [{ t: 5, value: 'left' }, { t: 9, value: 'right' }] });
    expect(got[0].data).toBeUndefined();
  });

  it('copies what it publishes (the packet contract lets sources reuse their buffers)', () => {
    const p = frames([1, 2, 3, 4], 0);
    const chunk = sinkChunkOf(p)!;
    p.samples.fill(0);
    expect(chunk.data).toEqual([[1, 2], [3, 4]]);
  });

  it('refuses a binding that is not a publisher, and a port outside 1–65535', () => {
    const { node } = instantiate(webSocketSink, {});
    expect(() => node.bind!({})).toThrow(InputError);
    expect(() => instantiate(webSocketSink, { port: 0 })).toThrow(/port/);
  });
});
