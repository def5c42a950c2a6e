import { describe, expect, it } from 'vitest';
import { checkMarker, parseMarkerMessage, publishMarkers, subscribeMarkers } from './markers';

describe('marker bus', () => {
  it('validates markers and stamps missing timestamps on receipt', () => {
    expect(checkMarker({ value: 'go', timestampMs: 1234.5, durationMs: 100 }, 9)).toEqual({ value: 'go', timestampMs: 1234.5, durationMs: 100 });
    expect(checkMarker({ value: 'go' }, 777)).toEqual({ value: 'go', timestampMs: 777 });
    expect(checkMarker({ value: '' }, 1)).toMatch(/non-empty/);
    expect(checkMarker({ value: 'x', timestampMs: 'now' }, 1)).toMatch(/timestampMs/);
    expect(checkMarker({ value: 'x', timestampMs: Number.NaN }, 1)).toMatch(/timestampMs/);
    expect(checkMarker({ value: 'x'.repeat(2000) }, 1)).toMatch(/longer/);
    expect(checkMarker(null, 1)).toMatch(/object/);
    const why: string[] = [];
    const evs = parseMarkerMessage({ type: 'markers', markers: [{ value: 'a', timestampMs: 5 }, { value: 3 }, { value: 'b' }] }, 10, (w) => why.push(w));
    expect(evs).toEqual([{ value: 'a', timestampMs: 5 }, { value: 'b', timestampMs: 10 }]);
    expect(why).toHaveLength(1);
    expect(parseMarkerMessage({ type: 'nope' }, 1, (w) => why.push(w))).toEqual([]);
    expect(why).toHaveLength(2);
  });

  it('delivers published markers to subscribers through BroadcastChannel', async () => {
    const got: unknown[] = [];
    const stop = subscribeMarkers((e) => got.push(...e));
    publishMarkers([{ value: 'stim/left', timestampMs: 1000.25 }], 'test');
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]).toEqual({ value: 'stim/left', timestampMs: 1000.25 });
    stop();
  });
});
