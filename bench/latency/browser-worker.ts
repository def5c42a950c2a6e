// Web Worker side of the Chromium latency bench: plays the producer or the engine role of
// roles.ts, on the clock every thread of the page shares (performance.timeOrigin + now()).
import { produce, runEngine, type Setup } from './roles';

const nowMs = (): number => performance.timeOrigin + performance.now();
const ac = new AbortController();

self.onmessage = (e: MessageEvent<Setup | 'stop'>) => {
  if (e.data === 'stop') return ac.abort();
  const d = e.data;
  if (d.role === 'producer') {
    produce(d, nowMs);
    self.postMessage('done');
  } else {
    void runEngine(d, nowMs, ac.signal, () => self.postMessage('ready')).then((r) => self.postMessage(r));
  }
};
