import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors';
import { markerChunk, signalChunk } from '../packet';
import { epochsChunk, instantiate, makeStream, packet } from '../testing';
import { sinkChunkOf, webSocketSink, type SinkChunk } from './sinks';

const stream = makeStream(['Cz', 'Pz'], 250);
const frames = (samples: number[], t0: number) => {
  const n = samples.length / 2;
  return signalChunk(stream, Float32Array.from(samples), Float64Array.from({ length: n }, (_, i) => t0 + i * 4));
};

describe('io.websocket-sink', () => {
  it('publishes each chunk as frames × channels with its timestamps, labels and rate', () => {
    const { node } = instantiate(webSocketSink, { port: 8088 });
    const got: SinkChunk[] = [];
    node.bind!({ publish: (c: SinkChunk) => got.push(c) });
    node.process({ data: packet(frames([1, -1, 2.5, -2.5, 3, -3], 1000)) });
    expect(got).toEqual([{ t: 1008, sampleRate: 250, channels: ['Cz', 'Pz'], timestamps: [1000, 1004, 1008], data: [[1, -1], [2.5, -2.5], [3, -3]] }]);
  });

  it('publishes markers as {t, value}, and nothing while unbound', () => {
    const { node } = instantiate(webSocketSink, {});
    node.process({ data: packet(frames([1, 2], 0)) }); // unbound: nothing to do, no error
    const got: SinkChunk[] = [];
    node.bind!({ publish: (c: SinkChunk) => got.push(c) });
    node.process({ data: packet(markerChunk([{ timestampMs: 5, value: 'left' }, { timestampMs: 9, value: 'right' }]), 'markers') });
    expect(got[0]).toMatchObject({ t: 9, markers: [{ t: 5, value: 'left' }, { t: 9, value: 'right' }] });
    expect(got[0].data).toBeUndefined();
  });

  it('publishes each chunk of a packet in order (signal and markers together), not epochs', () => {
    const { node } = instantiate(webSocketSink, {});
    const got: SinkChunk[] = [];
    node.bind!({ publish: (c: SinkChunk) => got.push(c) });
    node.process({ data: new Map([['eeg', frames([1, 2], 0)], ['markers', markerChunk([{ timestampMs: 0, value: 'go' }])], ['epochs', epochsChunk(stream, [{ samples: [1, 2, 3, 4], timeMs: 0 }], 2)]]) });
    expect(got.map((c) => c.markers ? 'markers' : c.channels.join())).toEqual(['Cz,Pz', 'markers']);
  });

  it('copies what it publishes (the packet contract lets sources reuse their buffers)', () => {
    const c = frames([1, 2, 3, 4], 0);
    const chunk = sinkChunkOf('eeg', c)!;
    c.block.data.fill(0);
    expect(chunk.data).toEqual([[1, 2], [3, 4]]);
  });

  it('refuses a binding that is not a publisher, and a port outside 1–65535', () => {
    const { node } = instantiate(webSocketSink, {});
    expect(() => node.bind!({})).toThrow(InputError);
    expect(() => instantiate(webSocketSink, { port: 0 })).toThrow(/port/);
  });
});
