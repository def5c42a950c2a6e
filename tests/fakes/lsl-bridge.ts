// A fake of the bridge's end of the LSL link (cli/bridge/lsl-link.ts) for unit tests of the tab's
// LSL code (Node): it records what the tab's LslBridgeClient sends and answers clock probes,
// resolves, outlet and inlet opens as the bridge would, with no LSL socket. Test-only; the real
// link is tested against liblsl inside network namespaces (cli/bridge/lsl-link.spec.ts).
import { LslBridgeClient } from '../../src/lib/api/lsl-client';
import type { LslBridgeToTab, LslStreamSummary, LslTabToBridge, LslWireChannel } from '../../src/lib/api/lsl-wire';

/** The client's clock runs this far ahead of the fake bridge's (ms). */
export const FAKE_BRIDGE_SHIFT_MS = 250;

export const FAKE_RESOLVED: LslStreamSummary = { name: 'SendData', type: 'EEG', sourceId: 'myuid34234', channelCount: 8, nominalSrateHz: 100, channelFormat: 'float32', hostname: 'lab-pc', uid: 'u-1' };

export function fakeLslBridge(opts: { buffered?: () => number; inlet?: { stream: LslStreamSummary; channels: LslWireChannel[] } } = {}) {
  const sent: LslTabToBridge[] = [];
  const client = new LslBridgeClient(() => performance.timeOrigin + performance.now() + FAKE_BRIDGE_SHIFT_MS);
  const answer = (m: LslTabToBridge): LslBridgeToTab | null => {
    if (m.type === 'lsl-clock-probe') return { type: 'lsl-clock', req: m.req, bridgeMs: performance.timeOrigin + performance.now() };
    if (m.type === 'lsl-resolve') return { type: 'lsl-streams', req: m.req, streams: [FAKE_RESOLVED] };
    if (m.type === 'lsl-outlet-open') return { type: 'lsl-outlet-opened', outlet: m.outlet, uid: `uid-${m.outlet}` };
    if (m.type === 'lsl-inlet-open' && opts.inlet) return { type: 'lsl-inlet-opened', inlet: m.inlet, ...opts.inlet };
    return null;
  };
  const socket = {
    send: (m: LslTabToBridge) => {
      sent.push(m);
      const a = answer(m);
      if (a) queueMicrotask(() => client.onMessage(a));
    },
    bufferedBytes: opts.buffered ?? (() => 0),
  };
  /** The id of the last inlet the client opened. */
  const lastInlet = () => (sent.filter((m) => m.type === 'lsl-inlet-open').at(-1) as Extract<LslTabToBridge, { type: 'lsl-inlet-open' }> | undefined)?.inlet ?? '';
  return { sent, client, attach: () => client.attach(socket), lastInlet };
}
