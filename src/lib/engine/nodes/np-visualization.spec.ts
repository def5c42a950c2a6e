import { describe, expect, it } from 'vitest';
import { markerChunk } from '../packet';
import { epochsChunk, instantiate, makeStream, signalFromChannelMajor } from '../testing';
import { builtinRegistry } from './index';
import type { InspectSnapshot } from './io';
import { DISPLAY_TYPES, inspectPacket, markerStreamWindow, scrollPlot, timeSeriesSweepPlot } from './np-visualization';

const stream = makeStream(['C3', 'Cz'], 100);
const signal = signalFromChannelMajor(stream, [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60], 6, 1000);
const epochs = epochsChunk(stream, [{ samples: [1, 2, 3, 4], timeMs: 5000, marker: 'go' }], 2, 0);
const markers = markerChunk([{ timestampMs: 1010, value: 'left' }, { timestampMs: 1030, value: 'right' }]);

describe('display sinks (visualization)', () => {
  it('resolve by NeuroPype class, accept any packet and unknown GUI settings, and keep the latest values of the chunk shown', () => {
    const reg = builtinRegistry();
    for (const [cls, name] of [[inspectPacket, 'InspectPacket'], [scrollPlot, 'ScrollPlot'], [timeSeriesSweepPlot, 'TimeSeriesSweepPlot'], [markerStreamWindow, 'MarkerStreamWindow']] as const) {
      expect(reg.find(name)).toBe(cls);
      expect(DISPLAY_TYPES.has(cls.type)).toBe(true);
      expect(cls.outputs).toEqual([]);
      const { node } = instantiate(cls, { always_on_top: true, background_color: '#F5F5F5', font_size: 12 });
      for (const data of [new Map(), new Map([['eeg', signal]]), new Map([['eeg', epochs]]), new Map([['markers', markers]]), new Map([['eeg', signal], ['markers', markers]])]) expect(() => node.process({ data })).not.toThrow();
    }
    const { node } = instantiate(scrollPlot, { stream_name: 'eeg' });
    node.process({ data: new Map([['eeg', signal], ['markers', markers]]) });
    const snap = node.peek!() as InspectSnapshot;
    expect(snap).toMatchObject({ kind: 'signal', chunk: 'eeg', channels: ['C3', 'Cz'], latest: [6, 60], timestampMs: 1050 });
  });

  it('MarkerStreamWindow lists the markers of the marker chunk (its "Markers" default matches "markers") and keeps them over packets without markers', () => {
    const { node } = instantiate(markerStreamWindow, {});
    node.process({ data: new Map([['eeg', signal], ['markers', markers]]) });
    node.process({ data: new Map([['eeg', signal]]) });
    const snap = node.peek!() as InspectSnapshot;
    expect(snap.kind).toBe('markers');
    expect((snap.latest as { value: string }[]).map((e) => e.value)).toEqual(['left', 'right']);
  });
});
