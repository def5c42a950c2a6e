// Publishing app streams as LSL outlets (issue 20 item 2): a device ring, the synthetic stream, a
// pipeline's output ring or the marker bus, described from our StreamDescriptor (labels, units,
// types, nominal rate) and pumped to the bridge's outlet through the tab's LslBridgeClient. Any
// thread that can read the rings. No Svelte. Must not block: each pump reads what the ring holds
// and sends it; frames the ring overran or the socket refused are counted, never waited for.
import type { MarkerEvent, StreamDescriptor, StreamKind } from '../core/stream';
import { Ring, RingReader } from '../streams/ring';
import type { LslBackend } from './lsl';
import type { LslBridgeClient } from './lsl-client';
import type { LslConnection, LslDevices } from './lsl-devices';
import type { LslOutletSpec, LslStreamSummary } from './lsl-wire';

/** An app stream that can be published: its descriptor and its ring, or the marker bus. */
export interface LslSource {
  descriptor: StreamDescriptor;
  ring?: SharedArrayBuffer | ArrayBuffer;
  subscribeMarkers?(fn: (e: MarkerEvent) => void): () => void;
}

/** Where the publisher finds app streams by the id a client names (`markers`, or a live stream's descriptor id). */
export interface LslSources {
  find(source: string): LslSource | null;
}

/** An outlet published from the app (the REST shape of `GET /bci/v1/lsl/outlets`). */
export interface LslPublication {
  id: string;
  source: string;
  name: string;
  type: string;
  uid: string;
  channel_count: number;
  nominal_srate: number;
  channel_format: 'float32' | 'string';
  /** Frames sent to the bridge so far, and dropped (ring overrun or a backed-up socket). */
  frames_sent: number;
  frames_dropped: number;
}

/** How often a ring is drained into its outlet (ms): LSL's own outlets send every push; this caps the batching. */
export const LSL_PUMP_INTERVAL_MS = 10;

/** LSL's content types (XDF meta-data wiki) for our stream kinds. */
const LSL_TYPES: Record<StreamKind, string> = { eeg: 'EEG', fnirs: 'NIRS', aux: 'AUX', markers: 'Markers', features: 'Features', predictions: 'Predictions' };
/** Our unit spellings → LSL's conventional ones (XDF meta-data: "microvolts"). */
const LSL_UNITS: Record<string, string> = { uV: 'microvolts', 'µV': 'microvolts', mV: 'millivolts', V: 'volts', nV: 'nanovolts' };

/** The outlet an app stream becomes; `name`/`type` override ours. */
export function outletSpecOf(d: StreamDescriptor, o: { name?: string; type?: string } = {}): LslOutletSpec {
  const markers = d.kind === 'markers';
  return {
    name: o.name ?? d.name,
    type: o.type ?? LSL_TYPES[d.kind] ?? 'EEG',
    sourceId: `neurotab:${d.id}`,
    channelFormat: markers ? 'string' : 'float32',
    nominalSrateHz: markers ? 0 : d.sampleRateHz,
    channels: markers ? [{ label: d.channels[0]?.label ?? 'Marker', unit: '', type: 'Marker' }] : d.channels.map((c) => ({ label: c.label, unit: LSL_UNITS[c.unit] ?? c.unit, type: c.type })),
  };
}

interface Running {
  pub: LslPublication;
  stop(): void;
}

export class LslPublisher implements LslBackend {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly client: LslBridgeClient,
    private readonly sources: LslSources,
    /** LSL streams connected as devices (the /bci/v1/lsl/inlets routes); none: those routes refuse. */
    private readonly devices?: LslDevices,
  ) {
    // Outlets live in the bridge: when it goes away they are gone too.
    client.onPairedChange((paired) => {
      if (!paired) for (const r of this.running.values()) r.stop();
      if (!paired) this.running.clear();
    });
  }

  lslPaired(): boolean {
    return this.client.paired;
  }

  lslStreams(waitS: number): Promise<LslStreamSummary[]> {
    return this.client.streams(waitS);
  }

  lslOutlets(): LslPublication[] {
    return [...this.running.values()].map((r) => ({ ...r.pub }));
  }

  /** Publishes `source`; throws "no app stream …" when it names none. */
  async lslPublish(source: string, o: { name?: string; type?: string } = {}): Promise<LslPublication> {
    const src = this.sources.find(source);
    if (!src) throw new Error(`no app stream "${source}": name a live stream id (a device's or a pipeline output's, e.g. "synthetic-eeg") or "markers"`);
    const spec = outletSpecOf(src.descriptor, o);
    const { id, uid } = await this.client.openOutlet(spec);
    const pub: LslPublication = { id, source, name: spec.name, type: spec.type, uid, channel_count: spec.channels.length, nominal_srate: spec.nominalSrateHz, channel_format: spec.channelFormat, frames_sent: 0, frames_dropped: 0 };
    const count = (sent: number, frames: number) => {
      pub.frames_sent += sent;
      pub.frames_dropped += frames - sent;
    };
    let stop: () => void;
    if (src.subscribeMarkers) {
      stop = src.subscribeMarkers((e) => count(this.client.push(id, [e.value], [e.timestampMs]), 1));
    } else if (src.ring) {
      const ring = Ring.attach(src.ring);
      const reader = new RingReader(ring);
      const width = src.descriptor.channels.length;
      const maxFrames = Math.max(1, Math.floor(65536 / width));
      const samples = new Float32Array(maxFrames * width);
      const stamps = new Float64Array(maxFrames);
      const timer = setInterval(() => {
        for (;;) {
          const r = reader.read(maxFrames, samples, stamps);
          pub.frames_dropped += r.dropped;
          if (r.frames === 0) break;
          count(this.client.push(id, samples.subarray(0, r.frames * width), stamps.subarray(0, r.frames)), r.frames);
          if (r.frames < maxFrames) break;
        }
      }, LSL_PUMP_INTERVAL_MS);
      stop = () => clearInterval(timer);
    } else {
      this.client.closeOutlet(id);
      throw new Error(`app stream "${source}" has neither samples nor markers to publish`);
    }
    this.running.set(id, { pub, stop });
    return { ...pub };
  }

  lslInlets(): LslConnection[] {
    return this.devices?.list() ?? [];
  }

  lslConnect(query: string): Promise<LslConnection> {
    if (!this.devices) throw new Error('this host connects no LSL streams as devices');
    return this.devices.connect(query);
  }

  lslDisconnect(id: string): Promise<boolean> {
    return this.devices?.disconnect(id) ?? Promise.resolve(false);
  }

  /** Withdraws an outlet; false when there is none of that id. */
  lslWithdraw(id: string): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    r.stop();
    this.running.delete(id);
    this.client.closeOutlet(id);
    return true;
  }
}
