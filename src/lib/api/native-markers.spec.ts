// POST /bci/v1/markers: validation, stamping, publication on the marker bus, no partial batches.
import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from './index';
import { LocalBackend } from './local-backend';
import { builtinRegistry } from '../engine/index';
import { subscribeMarkers } from '../core/markers';
import { call } from './testing';
import type { MarkerEvent } from '../core/stream';

const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

function listen(): MarkerEvent[] {
  const got: MarkerEvent[] = [];
  stops.push(subscribeMarkers((e) => got.push(...e)));
  return got;
}

describe('POST /bci/v1/markers', () => {
  const app = createApi(new LocalBackend({ registry: builtinRegistry() }));

  it('publishes one marker with the sender timestamp, and a batch in order', async () => {
    const got = listen();
    const one = await call(app, 'POST', '/bci/v1/markers', { value: 'stim/left', timestampMs: 1_700_000_000_123.25 });
    expect(one.status).toBe(202);
    expect(one.json).toEqual({ accepted: 1, markers: [{ value: 'stim/left', timestampMs: 1_700_000_000_123.25 }] });
    const batch = await call(app, 'POST', '/bci/v1/markers', { markers: [{ value: 'a', timestampMs: 10 }, { value: 'b', timestampMs: 20, durationMs: 5 }] });
    expect(batch.status).toBe(202);
    await expect.poll(() => got.length).toBe(3);
    expect(got).toEqual([
      { value: 'stim/left', timestampMs: 1_700_000_000_123.25 },
      { value: 'a', timestampMs: 10 },
      { value: 'b', timestampMs: 20, durationMs: 5 },
    ]);
  });

  it('stamps a marker without a time on arrival, on the shared clock', async () => {
    const before = performance.timeOrigin + performance.now();
    const r = await call(app, 'POST', '/bci/v1/markers', { value: 'now' });
    const after = performance.timeOrigin + performance.now();
    const t = (r.json as { markers: MarkerEvent[] }).markers[0].timestampMs;
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
  });

  it('rejects bad markers in the native envelope and publishes nothing of a bad batch', async () => {
    const got = listen();
    const bad = await call(app, 'POST', '/bci/v1/markers', { markers: [{ value: 'ok', timestampMs: 1 }, { value: '', timestampMs: 2 }] });
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { code: string; message: string } }).error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/markers\[1\]: "value" must be a non-empty string; no marker was sent/) });
    const noTime = await call(app, 'POST', '/bci/v1/markers', { value: 'x', timestampMs: 'soon' });
    expect(noTime.status).toBe(400);
    expect((noTime.json as { error: { message: string } }).error.message).toMatch(/timestampMs/);
    const empty = await call(app, 'POST', '/bci/v1/markers', { markers: [] });
    expect(empty.status).toBe(400);
    const malformed = await app.request('/bci/v1/markers', { method: 'POST', body: '{"value":', headers: { 'Content-Type': 'application/json' } });
    expect(malformed.status).toBe(400);
    const wrongMethod = await app.request('/bci/v1/markers', { method: 'GET' });
    expect(wrongMethod.status).toBe(405);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
  });
});
