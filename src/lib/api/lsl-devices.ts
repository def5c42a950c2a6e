// LSL streams connected as devices of the tab (issue 20 item 3): each an LslStreamDriver writing into
// a Ring of its own, listed beside the live streams so pipelines bind to it (LSLInput's query,
// matchStreamQuery) and publishers can re-publish it, and read by the page's acquisition (ring());
// marker streams go to the marker bus instead. A gap (the outlet gone and back) is a gap marker on
// the bus, as a board's is, so recordings mark it. Runs where the bridge client lives (the API
// worker). No Svelte. Must not block: the driver's frames are pushed into the ring as they come (the
// ring overwrites its oldest frames, never waits).
import { publishMarkers } from '../core/markers';
import type { StreamDescriptor } from '../core/stream';
import { gapMarker } from '../devices/timing/counter-tracker';
import { LslStreamDriver, type LslStreamDriverOptions } from '../devices/drivers/lsl/driver';
import { Ring, RingWriter } from '../streams/ring';
import type { LslBridgeClient } from './lsl-client';

/** Seconds of samples each LSL device ring holds. */
const RING_SECONDS = 30;

/** A connected LSL stream (the REST shape of `GET /bci/v1/lsl/inlets`). */
export interface LslConnection {
  id: string;
  query: string;
  /** The LSL stream's uid (a restarted outlet has a new one; recovery follows it by source id). */
  uid: string;
  stream: StreamDescriptor;
  frames_received: number;
  frames_lost: number;
  /** `waiting`: the outlet went away and LSL's recovery looks for it; `lost`: it gave up (or the bridge went away). */
  state: 'streaming' | 'waiting' | 'lost';
  /** Why the state last changed (the bridge's words), when it is not streaming from the start. */
  detail?: string;
}

export class LslDevices {
  private readonly open = new Map<string, { c: LslConnection; driver: LslStreamDriver; buffer?: SharedArrayBuffer | ArrayBuffer }>();
  private next = 1;

  constructor(
    private readonly client: LslBridgeClient,
    private readonly options: LslStreamDriverOptions = {},
    /** Uids of streams not to connect (the tab's own outlets: a marker outlet would loop through the bus). */
    private readonly refuseUids?: () => string[],
  ) {
    client.onPairedChange((paired) => {
      if (!paired) for (const e of this.open.values()) e.c.state = 'lost';
    });
  }

  /** The numeric streams connected now (waiting ones too: they resume), as the live streams are (descriptor + ring buffer). */
  streams(): { descriptor: StreamDescriptor; buffer: SharedArrayBuffer | ArrayBuffer }[] {
    return [...this.open.values()].filter((e) => e.buffer && e.c.state !== 'lost').map((e) => ({ descriptor: e.c.stream, buffer: e.buffer! }));
  }

  /** One connection and its ring (null for a marker stream), for the page's acquisition to read from its first frame; null when there is none of that id. */
  ring(id: string): { connection: LslConnection; buffer: SharedArrayBuffer | ArrayBuffer | null } | null {
    const e = this.open.get(id);
    return e ? { connection: { ...e.c }, buffer: e.buffer ?? null } : null;
  }

  list(): LslConnection[] {
    return [...this.open.values()].map((e) => ({ ...e.c }));
  }

  /** Opens the stream `query` names (an XPath predicate, e.g. `type='EEG'`) and starts it. */
  async connect(query: string): Promise<LslConnection> {
    const driver = new LslStreamDriver(this.client, query, this.options);
    await driver.open();
    const stream = driver.descriptor!;
    const uid = driver.stream!.uid;
    if (this.refuseUids?.().includes(uid)) {
      await driver.close();
      throw new Error(`the LSL stream ${query} is this tab's own outlet: connecting it would feed its samples back to itself`);
    }
    const c: LslConnection = { id: `lsl-${this.next++}`, query, uid, stream, frames_received: 0, frames_lost: 0, state: 'streaming' };
    let buffer: SharedArrayBuffer | ArrayBuffer | undefined;
    let writer: RingWriter | null = null;
    if (stream.kind !== 'markers') {
      const ring = Ring.create({ channels: stream.channels.length, capacityFrames: Math.max(1024, Math.ceil((stream.sampleRateHz || 100) * RING_SECONDS)) });
      buffer = ring.buffer;
      writer = new RingWriter(ring);
    }
    await driver.start({
      onFrames: (f) => {
        writer?.push(f.samples, f.timestampsMs, f.frames);
        c.frames_received += f.frames;
      },
      onGap: (g) => {
        c.frames_lost += g.lostFrames;
        (this.options.publish ?? ((events) => publishMarkers(events, 'lsl')))([gapMarker(stream.id, g.timestampMs, g.lostFrames, stream.sampleRateHz)]);
      },
      onLink: (state, detail) => Object.assign(c, { state: state === 'waiting' ? 'waiting' : 'streaming', detail }),
      onDisconnected: (reason) => Object.assign(c, { state: 'lost', detail: reason }),
    });
    this.open.set(c.id, { c, driver, buffer });
    return { ...c };
  }

  /** Closes a connection; false when there is none of that id. */
  async disconnect(id: string): Promise<boolean> {
    const e = this.open.get(id);
    if (!e) return false;
    this.open.delete(id);
    await e.driver.close();
    return true;
  }
}
