// The NeuraScale family and Instinct's system endpoints in Chromium: a same-origin page drives them
// with fetch; the service worker forwards to the engine-host tab's API worker, which reaches the
// page's devices over the device seam (a MessagePort) and records the stream into IndexedDB.
import { describe, expect, it } from 'vitest';
import { openApp, screenshot, useApp } from './harness';

const fx = useApp();

describe('NeuraScale through the service worker', () => {
  it("seed example: register openbci_001 (simulated), start with the seed's body, read the recorded session back, stop", async () => {
    const page = await openApp(fx.context, fx.server.url, '/api');
    await page.waitForSelector('[data-testid="engine-host"][data-host="true"]', { timeout: 30_000 });
    const r = await page.evaluate(async () => {
      const j = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(path, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, json: text ? JSON.parse(text) : null };
      };
      const login = await j('POST', '/neurascale/v2/auth/login', { email: 'lab@example.org', password: 'x' });
      const list = await j('GET', '/neurascale/v2/devices');
      const reg = await j('POST', '/neurascale/v2/devices', { id: 'openbci_001', name: 'OpenBCI Cyton', type: 'EEG', serialNumber: 'OBCI-7' });
      const start = await j('POST', '/neurascale/v2/devices/openbci_001/stream/start', { sample_rate: 250, channels: [1, 2, 3, 4, 5, 6, 7, 8], filters: { notch: 60, highpass: 0.5, lowpass: 100 } });
      await new Promise((ok) => setTimeout(ok, 2500));
      const quality = await j('GET', '/neurascale/v2/devices/openbci_001/signal-quality');
      const ts = await j('GET', `/neurascale/v2/data/timeseries?session_id=${start.json.session_id}&channels=1,2`);
      const stop = await j('POST', '/neurascale/v2/devices/openbci_001/stream/stop');
      const recs = await j('GET', `/neurascale/v2/sessions/${start.json.session_id}/recordings`);
      const missing = await j('GET', '/neurascale/v2/devices/emotiv_001');
      const health = await j('GET', '/instinct/system/healthz');
      const v1 = await j('GET', '/neurascale/api/v1/devices/discover?timeout=1');
      return { login, list, reg, start, quality, ts: { status: ts.status, n: ts.json?.samples?.length, first: ts.json?.samples?.[0] }, stop, recs, missing, health, v1 };
    });
    expect(r.login.status).toBe(200);
    expect(r.login.json.token_type).toBe('Bearer');
    expect(r.list.json.items.map((d: { id: string }) => d.id)).toContain('synthetic');
    expect(r.reg.status).toBe(201);
    expect(r.reg.json.metadata.simulated).toBe(true);
    expect(r.start.status).toBe(200);
    expect(r.start.json).toMatchObject({ device_id: 'openbci_001', streaming: true, sample_rate: 250, stream_id: expect.stringMatching(/^stream_/), session_id: expect.stringMatching(/^session_/) });
    expect(r.quality.status).toBe(200);
    expect(r.quality.json.channels).toHaveLength(8);
    expect(r.ts.status).toBe(200);
    expect(r.ts.n).toBeGreaterThan(250);
    expect(Object.keys(r.ts.first)).toEqual(['timestamp', 'ch1', 'ch2']);
    expect(r.stop.json).toMatchObject({ streaming: false, stream_id: r.start.json.stream_id });
    expect(r.recs.json.items[0]).toMatchObject({ channel_count: 8, sample_rate: 250, status: 'complete' });
    expect(r.recs.json.items[0].sample_count).toBeGreaterThan(500);
    expect(r.missing.status).toBe(404);
    expect(r.missing.json.error).toMatchObject({ code: 'DEVICE_NOT_FOUND', details: { resource_type: 'device', resource_id: 'emotiv_001' } });
    expect(r.health.status).toBe(200);
    expect(r.health.json).toMatchObject({ status: 'healthy', message: expect.any(String) });
    expect(r.v1.json).toContainEqual(expect.objectContaining({ device_type: 'synthetic', protocol: 'virtual' }));
    await page.reload();
    await page.waitForSelector('[data-testid="neurascale-settings"]');
    await page.waitForSelector('[data-family="neurascale"]');
    await screenshot(page, 'api-neurascale');
    await page.close();
  }, 90_000);

  it('live data through the service worker: GET /neurascale/ws/events as SSE (the socket protocol), POST /ws/send controls it', async () => {
    const page = await openApp(fx.context, fx.server.url, '/api');
    await page.waitForSelector('[data-testid="engine-host"][data-host="true"]', { timeout: 30_000 });
    const r = await page.evaluate(async () => {
      const start = await (await fetch('/neurascale/v2/devices/synthetic/stream/start', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"sample_rate": 500, "channels": [1, 2, 3, 4]}' })).json();
      const res = await fetch(`/neurascale/ws/events?session_id=${start.session_id}&channels=1,2`);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let text = '';
      const events: { event: string; data: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const t0 = performance.now();
      let sent = false;
      while (performance.now() - t0 < 10_000) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
        let i: number;
        while ((i = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, i);
          text = text.slice(i + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data) events.push({ event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message', data: JSON.parse(data) });
        }
        const batches = events.filter((e) => e.data.type === 'neural_data_batch').length;
        if (batches >= 5 && !sent) {
          sent = true;
          const id = events.find((e) => e.event === 'connection')!.data.connection_id;
          await fetch(`/neurascale/ws/send?connection_id=${id}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'device_control', action: 'stop_stream', device_id: 'synthetic' }) });
        }
        if (events.some((e) => e.data.type === 'device_response')) break;
      }
      await reader.cancel();
      return { type: res.headers.get('content-type'), start, events };
    });
    expect(r.type).toMatch(/^text\/event-stream/);
    const batches = r.events.filter((e) => e.data.type === 'neural_data_batch').map((e) => e.data);
    expect(batches.length).toBeGreaterThanOrEqual(5);
    expect(batches[0]).toMatchObject({ device_id: 'synthetic', session_id: r.start.session_id, channels: [1, 2], sample_rate: 500 });
    // Consecutive batches join without a gap: each starts one sample period after the last ended.
    for (let i = 1; i < batches.length; i++) expect(batches[i].timestamp_start - batches[i - 1].timestamp_end).toBeCloseTo(2, 5);
    expect(r.events.find((e) => e.data.type === 'device_response')?.data).toMatchObject({ action: 'stop_stream', status: 'success', stream_id: r.start.stream_id });
    await page.close();
  }, 60_000);
});
