// "LSL stream" devices (issue 20 item 3): an LSL stream the bridge resolves, read through an inlet in
// the bridge (LslBridgeClient) and handed on as a device's frames — recorded, shown live, fed to
// pipelines (NeuroPype's LSLInput binds by name/type through matchStreamQuery) — or, for a marker
// stream, published on the marker bus. Same open / start / stop / close lifecycle as every driver.
// Any thread holding the bridge client. Must not block; without a bridge it says how to start one.
import { StateError } from '../../../core/errors';
import { publishMarkers } from '../../../core/markers';
import type { ChannelInfo, MarkerEvent, StreamDescriptor, StreamKind } from '../../../core/stream';
import type { LslBridgeClient } from '../../../api/lsl-client';
import type { LslStreamSummary, LslWireChannel } from '../../../api/lsl-wire';
import type { DriverListener, DriverState } from '../../descriptor';

/** The device kind LSL streams are listed under. */
export const LSL_DEVICE_KIND = 'lsl-stream';
export const LSL_NEEDS_BRIDGE = 'Start the bridge to see LSL streams: run "npm run neurotab -- bridge" on this machine and pair this tab (API page → Bridge).';

/** One LSL stream as the Devices page lists it. */
export interface LslStreamDevice extends LslStreamSummary {
  kind: typeof LSL_DEVICE_KIND;
  /** What the driver resolves it by (source id when it has one, as LSL's recovery does). */
  query: string;
}

/** The XPath predicate that finds this stream again (liblsl quoting: no quote characters inside). */
export function lslQueryOf(s: Pick<LslStreamSummary, 'name' | 'type' | 'sourceId'>): string {
  const q = (v: string) => `'${v.replace(/'/g, '')}'`;
  return s.sourceId ? `source_id=${q(s.sourceId)}` : `name=${q(s.name)} and type=${q(s.type)}`;
}

/**
 * The XPath predicate for a stream chosen by hand (the device chooser's name / type / source id):
 * every field given must match. Null when none is given.
 */
export function lslQueryFor(fields: { name?: string; type?: string; sourceId?: string }): string | null {
  const q = (v: string) => `'${v.replace(/'/g, '')}'`;
  const terms = ([['source_id', fields.sourceId], ['name', fields.name], ['type', fields.type]] as const).filter(([, v]) => v?.trim()).map(([k, v]) => `${k}=${q(v!.trim())}`);
  return terms.length ? terms.join(' and ') : null;
}

/** The LSL streams to list, or why there are none to see. */
export async function listLslDevices(client: LslBridgeClient | null, waitS = 1): Promise<{ devices: LslStreamDevice[]; message?: string }> {
  if (!client?.paired) return { devices: [], message: LSL_NEEDS_BRIDGE };
  const found = await client.streams(waitS);
  return { devices: found.map((s) => ({ ...s, kind: LSL_DEVICE_KIND, query: lslQueryOf(s) })), ...(found.length ? {} : { message: `No LSL stream answered within ${waitS} s; start its outlet on this network, then refresh.` }) };
}

const KINDS: Record<string, StreamKind> = { eeg: 'eeg', nirs: 'fnirs', fnirs: 'fnirs', markers: 'markers', features: 'features', predictions: 'predictions' };
const UNITS: Record<string, string> = { microvolts: 'uV', millivolts: 'mV', volts: 'V', nanovolts: 'nV' };

/** Our descriptor of an LSL stream: its name, a kind from its content type, its channels (labels "ch<k>" where it names none). */
export function lslStreamDescriptor(s: LslStreamSummary, channels: LslWireChannel[]): StreamDescriptor {
  const kind = s.channelFormat === 'string' ? 'markers' : (KINDS[s.type.toLowerCase()] ?? 'aux');
  const list: ChannelInfo[] = Array.from({ length: s.channelCount }, (_, k) => {
    const c = channels[k];
    return { label: c?.label || `ch${k + 1}`, unit: UNITS[c?.unit ?? ''] ?? (c?.unit || (kind === 'eeg' ? 'uV' : 'a.u.')), type: c?.type || s.type || 'MISC' };
  });
  return { id: `lsl:${s.sourceId || s.name}`, name: s.name, kind, sampleRateHz: s.nominalSrateHz, channels: list };
}

/** A device listener that also hears of the LSL link: the outlet gone (waiting for it to return) and back. */
export interface LslDriverListener extends DriverListener {
  onLink?(state: 'waiting' | 'back', detail: string): void;
}

export interface LslStreamDriverOptions {
  /** Markers of a string stream go here (default: the marker bus). */
  publish?: (events: MarkerEvent[]) => void;
  /** How long to wait for the stream to answer (s). */
  waitS?: number;
}

export class LslStreamDriver {
  private st: DriverState = 'closed';
  private inletId: string | null = null;
  private listener: LslDriverListener | null = null;
  private sampleIndex = 0;
  /** Timestamp of the last frame delivered (ms), where a gap starts. */
  private lastTimestampMs = NaN;
  private desc: StreamDescriptor | null = null;
  private summary: LslStreamSummary | null = null;

  constructor(
    private readonly client: LslBridgeClient | null,
    readonly query: string,
    private readonly o: LslStreamDriverOptions = {},
  ) {}

  get state(): DriverState {
    return this.st;
  }

  /** The stream as the bridge resolved it (after open): its LSL uid, host, format. */
  get stream(): LslStreamSummary | null {
    return this.summary;
  }

  /** The stream's descriptor (after open). */
  get descriptor(): StreamDescriptor | null {
    return this.desc;
  }

  /** Resolves the stream and opens its inlet in the bridge; frames flow once started. */
  async open(): Promise<void> {
    if (this.st !== 'closed') throw new StateError(`open() while ${this.st}`);
    if (!this.client?.paired) throw new Error(LSL_NEEDS_BRIDGE);
    const publish = this.o.publish ?? ((events: MarkerEvent[]) => publishMarkers(events, 'lsl'));
    const opened = await this.client.openInlet(
      this.query,
      {
        onChunk: (frames, values, timestampsMs) => {
          if (this.st !== 'streaming' || !this.listener || !this.desc) return;
          if (Array.isArray(values)) {
            const width = this.desc.channels.length;
            publish(Array.from({ length: frames }, (_, i) => ({ timestampMs: timestampsMs[i], value: values[i * width] })));
          } else this.listener.onFrames({ streamId: this.desc.id, sampleIndex: this.sampleIndex, frames, channelCount: this.desc.channels.length, samples: values, timestampsMs });
          this.sampleIndex += frames;
          if (frames > 0) this.lastTimestampMs = timestampsMs[frames - 1];
        },
        onEvent: (event, detail, extra) => {
          if (!this.listener || !this.desc) return;
          if ((event === 'gap-detected' || event === 'dropped') && extra.frames) {
            // The bridge tells of a gap before the first chunk after it: it starts one period after the last frame.
            const rate = this.desc.sampleRateHz;
            const startMs = Number.isFinite(this.lastTimestampMs) && rate > 0 ? this.lastTimestampMs + 1000 / rate : performance.timeOrigin + performance.now();
            this.listener.onGap({ streamId: this.desc.id, sampleIndex: this.sampleIndex, lostFrames: extra.frames, timestampMs: startMs });
            this.sampleIndex += extra.frames;
          } else if (event === 'disconnected') this.listener.onLink?.('waiting', detail);
          else if (event === 'recovered') this.listener.onLink?.('back', detail);
          else if (event === 'lost') this.listener.onDisconnected(`the LSL stream was lost: ${detail}`);
        },
      },
      this.o.waitS ?? 5,
    );
    this.inletId = opened.id;
    this.desc = lslStreamDescriptor(opened.stream, opened.channels);
    this.summary = opened.stream;
    this.st = 'open';
  }

  async start(listener: LslDriverListener): Promise<void> {
    if (this.st !== 'open') throw new StateError(`start() while ${this.st}`);
    this.listener = listener;
    this.st = 'streaming';
  }

  async stop(): Promise<void> {
    if (this.st !== 'streaming') throw new StateError(`stop() while ${this.st}`);
    this.st = 'open';
  }

  async close(): Promise<void> {
    if (this.inletId) this.client?.closeInlet(this.inletId);
    this.inletId = null;
    this.listener = null;
    this.st = 'closed';
  }
}
