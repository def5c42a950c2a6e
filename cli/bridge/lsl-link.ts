// The bridge's LSL side of the tab socket (issue 20 items 2 and 3): the paired tab's `lsl-*`
// messages (src/lib/api/lsl-wire.ts) become resolves, LslOutlets fed with the tab's samples, and
// LslInlets whose chunks go back to the tab with timestamps on the bridge's app clock (LSL time
// correction applied). Node only. Must not block or buffer without bound: a push never waits, and
// chunks for a tab whose socket backlog passes maxBufferedBytes are dropped and reported.
import { errorMessage } from '../../src/lib/core/errors';
import {
  decodeSamples,
  encodeFloat32,
  encodeFloat64,
  LSL_WIRE_MAX_VALUES,
  type LslBridgeToTab,
  type LslStreamSummary,
  type LslTabToBridge,
} from '../../src/lib/api/lsl-wire';
import { LslInlet, LslOutlet, lslToAppMs, resolveByPredicate, resolveStreams, streamChannels, type InletEvent, type LslConfig, type LslLog, type StreamInfo } from './lsl';

/** The most outlets and inlets one tab may hold open (each costs sockets). */
export const LSL_LINK_MAX_STREAMS = 64;
/** Longest resolve the tab may ask for (seconds). */
const MAX_WAIT_S = 30;
/** Chunks held for an inlet until its first clock offset is measured (~0.7 s of data). */
const MAX_HELD_CHUNKS = 2000;

export interface LslLinkOptions {
  /** Sends to the tab (drops when the socket is closed). */
  send(m: LslBridgeToTab): void;
  /** Bytes queued on the tab's socket, not yet sent. */
  bufferedBytes(): number;
  /** Inlet chunks are dropped (and reported) while the tab's backlog is above this (default 8 MiB). */
  maxBufferedBytes?: number;
  log?: LslLog;
  config?: Partial<LslConfig>;
  hostname?: string;
}

export interface LslLink {
  /** True when `m` was an LSL message (handled, or refused with a message to the tab). */
  onTabMessage(m: { type: string }): boolean;
  /** Closes every outlet and inlet of the tab (it went away). */
  reset(): Promise<void>;
  /** Outlets and inlets open now. */
  readonly counts: { outlets: number; inlets: number };
}

/** Milliseconds on this process's app clock → seconds on its LSL clock (inverse of lslToAppMs). */
export function appMsToLsl(ms: number): number {
  return (ms - lslToAppMs(0)) / 1000;
}

export function summaryOf(info: StreamInfo): LslStreamSummary {
  return { name: info.name, type: info.type, sourceId: info.sourceId, channelCount: info.channelCount, nominalSrateHz: info.nominalSrateHz, channelFormat: info.channelFormat, hostname: info.hostname, uid: info.uid };
}

/** Values [from, to) as numbers (int64 streams lose precision beyond 2^24 in float32, as any app stream). */
function numericSlice(values: ArrayLike<number> | BigInt64Array, from: number, to: number): ArrayLike<number> {
  if (values instanceof BigInt64Array) return Array.from(values.subarray(from, to), Number);
  return ArrayBuffer.isView(values) ? (values as unknown as Float32Array).subarray(from, to) : Array.prototype.slice.call(values, from, to);
}

const clampWait = (s: unknown, fallback: number) => (typeof s === 'number' && Number.isFinite(s) && s >= 0 ? Math.min(s, MAX_WAIT_S) : fallback);

interface InletState {
  inlet?: LslInlet;
  closed: boolean;
  /** Chunks waiting for the first clock offset. */
  held: LslBridgeToTab[];
  corrected: boolean;
  dropped: number;
}

export function createLslLink(o: LslLinkOptions): LslLink {
  const log = o.log ?? (() => {});
  const maxBuffered = o.maxBufferedBytes ?? 8 * 1024 * 1024;
  const outlets = new Map<string, Promise<LslOutlet | null>>();
  const inlets = new Map<string, InletState>();

  const refuse = (m: { type: string }, error: string) => {
    log(`LSL: ${m.type} refused: ${error}`);
    const id = (m as { outlet?: unknown; inlet?: unknown }).outlet ?? (m as { inlet?: unknown }).inlet;
    if (m.type === 'lsl-outlet-open') o.send({ type: 'lsl-outlet-opened', outlet: String(id), error });
    else if (m.type === 'lsl-inlet-open') o.send({ type: 'lsl-inlet-opened', inlet: String(id), error });
  };

  async function openOutlet(m: Extract<LslTabToBridge, { type: 'lsl-outlet-open' }>): Promise<void> {
    const s = m.spec;
    if (outlets.size + inlets.size >= LSL_LINK_MAX_STREAMS) return refuse(m, `the tab already holds ${LSL_LINK_MAX_STREAMS} LSL streams; withdraw one first`);
    if (outlets.has(m.outlet)) return refuse(m, `outlet ${m.outlet} is open already`);
    if (!s || typeof s.name !== 'string' || !Array.isArray(s.channels) || s.channels.length < 1 || (s.channelFormat !== 'float32' && s.channelFormat !== 'string'))
      return refuse(m, 'an outlet needs a name, channelFormat float32 or string, and at least one channel');
    const opening = LslOutlet.open({
      name: s.name,
      type: String(s.type ?? ''),
      sourceId: String(s.sourceId ?? ''),
      channelCount: s.channels.length,
      nominalSrateHz: Number(s.nominalSrateHz) > 0 ? Number(s.nominalSrateHz) : 0,
      channelFormat: s.channelFormat,
      channels: s.channels.map((c) => ({ label: String(c.label ?? ''), unit: String(c.unit ?? ''), type: String(c.type ?? '') })),
      config: o.config,
      log,
      hostname: o.hostname,
    }).then(
      (outlet) => {
        if (outlets.get(m.outlet) !== opening) {
          void outlet.close(); // withdrawn while opening
          return null;
        }
        log(`LSL outlet "${s.name}" (${s.channels.length} ch, ${s.nominalSrateHz} Hz) published for the tab`);
        o.send({ type: 'lsl-outlet-opened', outlet: m.outlet, uid: outlet.info.uid });
        return outlet;
      },
      (e: unknown) => {
        outlets.delete(m.outlet);
        refuse(m, `could not open the LSL outlet: ${errorMessage(e)}`);
        return null;
      },
    );
    outlets.set(m.outlet, opening);
  }

  function push(m: Extract<LslTabToBridge, { type: 'lsl-samples' }>): void {
    const pending = outlets.get(m.outlet);
    if (!pending) return log(`LSL: samples for outlet ${m.outlet}, which is not open, dropped`);
    // Samples sent right after lsl-outlet-open wait for the outlet (in order: one promise chain per outlet).
    void pending.then((outlet) => {
      if (!outlet) return;
      try {
        const s = decodeSamples(m, outlet.info.channelCount);
        const stampsS = new Float64Array(s.frames);
        for (let i = 0; i < s.frames; i++) stampsS[i] = appMsToLsl(s.timestampsMs[i]);
        if (Array.isArray(s.values) !== (outlet.info.channelFormat === 'string')) throw new Error(`outlet "${outlet.info.name}" carries ${outlet.info.channelFormat} values`);
        outlet.push(s.values, stampsS);
      } catch (e) {
        log(`LSL outlet "${outlet.info.name}": samples dropped: ${errorMessage(e)}`);
      }
    });
  }

  async function closeOutlet(id: string): Promise<void> {
    const pending = outlets.get(id);
    outlets.delete(id);
    const outlet = await pending;
    await outlet?.close();
  }

  /** Chunk → tab, unless its socket is backed up (then counted and reported once it drains). */
  function deliver(id: string, st: InletState, m: LslBridgeToTab): void {
    if (o.bufferedBytes() > maxBuffered) {
      st.dropped += (m as { frames: number }).frames;
      return;
    }
    if (st.dropped) {
      o.send({ type: 'lsl-inlet-event', inlet: id, event: 'dropped', detail: `${st.dropped} samples dropped: the tab did not keep up`, frames: st.dropped });
      st.dropped = 0;
    }
    o.send(m);
  }

  async function openInlet(m: Extract<LslTabToBridge, { type: 'lsl-inlet-open' }>): Promise<void> {
    if (outlets.size + inlets.size >= LSL_LINK_MAX_STREAMS) return refuse(m, `the tab already holds ${LSL_LINK_MAX_STREAMS} LSL streams; disconnect one first`);
    if (inlets.has(m.inlet)) return refuse(m, `inlet ${m.inlet} is open already`);
    if (typeof m.query !== 'string' || m.query.trim() === '') return refuse(m, "an inlet needs a query, e.g. name='EEG'");
    const st: InletState = { closed: false, held: [], corrected: false, dropped: 0 };
    inlets.set(m.inlet, st);
    try {
      const [info] = await resolveByPredicate(m.query, { timeoutS: clampWait(m.waitS, 5), config: o.config, log });
      if (st.closed) return;
      if (!info) throw new Error(`no LSL stream matches ${m.query}; is its outlet running on this network?`);
      const numeric = info.channelFormat !== 'string';
      const onChunk = (c: { frames: number; values: ArrayLike<number> | BigInt64Array | string[]; timestampsS: Float64Array }) => {
        if (st.closed || !st.inlet) return;
        const offsetS = st.inlet.timeCorrection?.offsetS ?? 0;
        const n = info.channelCount;
        // Split so no message exceeds the wire's bound.
        const per = Math.max(1, Math.floor(LSL_WIRE_MAX_VALUES / n));
        for (let f0 = 0; f0 < c.frames; f0 += per) {
          const f1 = Math.min(c.frames, f0 + per);
          const stamps = new Float64Array(f1 - f0);
          for (let i = f0; i < f1; i++) stamps[i - f0] = lslToAppMs(c.timestampsS[i] + offsetS);
          const msg: LslBridgeToTab = numeric
            ? { type: 'lsl-chunk', inlet: m.inlet, frames: f1 - f0, valuesBase64: encodeFloat32(numericSlice(c.values as ArrayLike<number> | BigInt64Array, f0 * n, f1 * n)), timestampsBase64: encodeFloat64(stamps) }
            : { type: 'lsl-chunk', inlet: m.inlet, frames: f1 - f0, strings: (c.values as string[]).slice(f0 * n, f1 * n), timestampsBase64: encodeFloat64(stamps) };
          if (st.corrected) deliver(m.inlet, st, msg);
          else if (st.held.length < MAX_HELD_CHUNKS) st.held.push(msg);
          else st.dropped += f1 - f0;
        }
      };
      const onEvent = (e: InletEvent) => {
        if (st.closed) return;
        if (e.type === 'clock-offset-measured') {
          if (st.corrected) return;
          // The chunks held so far are re-stamped with the first estimate (they went out uncorrected).
          st.corrected = true;
          const shift = e.correction.offsetS * 1000;
          for (const h of st.held.splice(0)) {
            if (h.type !== 'lsl-chunk') continue;
            const t = Float64Array.from(decodeSamples(h, info.channelCount).timestampsMs, (x) => x + shift);
            deliver(m.inlet, st, { ...h, timestampsBase64: encodeFloat64(t) });
          }
        } else if (e.type === 'disconnected' || e.type === 'lost') o.send({ type: 'lsl-inlet-event', inlet: m.inlet, event: e.type, detail: e.reason });
        else if (e.type === 'recovered') o.send({ type: 'lsl-inlet-event', inlet: m.inlet, event: 'recovered', detail: e.sameOutlet ? 'the outlet came back' : 'reconnected to the restarted outlet' });
        else if (e.type === 'gap-detected')
          o.send({ type: 'lsl-inlet-event', inlet: m.inlet, event: 'gap-detected', detail: `no samples for ${e.gapS.toFixed(3)} s`, gapMs: e.gapS * 1000, ...(e.missingSamples !== undefined ? { frames: e.missingSamples } : {}) });
      };
      const inlet = await LslInlet.open(info, { onChunk, onEvent, config: o.config, log });
      if (st.closed) return inlet.close();
      st.inlet = inlet;
      const channels = streamChannels(inlet.info);
      o.send({ type: 'lsl-inlet-opened', inlet: m.inlet, stream: summaryOf(inlet.info), channels });
      log(`LSL inlet on "${info.name}" (${info.channelCount} ch) opened for the tab`);
    } catch (e) {
      inlets.delete(m.inlet);
      refuse(m, errorMessage(e));
    }
  }

  function closeInlet(id: string): void {
    const st = inlets.get(id);
    inlets.delete(id);
    if (!st) return;
    st.closed = true;
    st.inlet?.close();
  }

  async function listStreams(m: Extract<LslTabToBridge, { type: 'lsl-resolve' }>): Promise<void> {
    try {
      const found = await resolveStreams(clampWait(m.waitS, 1), { config: o.config, log });
      o.send({ type: 'lsl-streams', req: m.req, streams: found.map(summaryOf) });
    } catch (e) {
      o.send({ type: 'lsl-streams', req: m.req, streams: [], error: errorMessage(e) });
    }
  }

  return {
    onTabMessage(raw) {
      if (typeof raw.type !== 'string' || !raw.type.startsWith('lsl-')) return false;
      const m = raw as LslTabToBridge;
      if (m.type === 'lsl-clock-probe') o.send({ type: 'lsl-clock', req: m.req, bridgeMs: performance.timeOrigin + performance.now() });
      else if (m.type === 'lsl-resolve') void listStreams(m);
      else if (m.type === 'lsl-outlet-open') void openOutlet(m);
      else if (m.type === 'lsl-samples') push(m);
      else if (m.type === 'lsl-outlet-close') void closeOutlet(String(m.outlet));
      else if (m.type === 'lsl-inlet-open') void openInlet(m);
      else if (m.type === 'lsl-inlet-close') closeInlet(String(m.inlet));
      else log(`LSL: unknown message ${raw.type} from the tab ignored`);
      return true;
    },
    async reset() {
      for (const id of [...inlets.keys()]) closeInlet(id);
      await Promise.all([...outlets.keys()].map(closeOutlet));
    },
    get counts() {
      return { outlets: outlets.size, inlets: inlets.size };
    },
  };
}
