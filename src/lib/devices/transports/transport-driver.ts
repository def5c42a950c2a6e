// The generic device driver: a transport + a pure decoder + a BlockStamper, with the
// open / start / stop / close lifecycle of descriptor.ts. Per-device files
// (drivers/<device>/driver.ts) supply only the differences (handshake, commands, notification
// characteristics). Runs where its transport runs (page for BLE, page or worker for serial/USB).
// Hot path: `route` → decoder.push → stamp → listener, once per chunk/notification.
import { nowMs } from '../../core/clock.ts';
import type { StreamDescriptor } from '../../core/stream.ts';
import type { DeviceDescriptor, DeviceDriver, DriverListener, DriverState } from '../descriptor.ts';
import type { DecoderCounters, DeviceDecoder } from '../drivers/decoder.ts';
import { emptyCounters } from '../drivers/decoder.ts';
import type { DecoderOptions } from '../drivers/registry.ts';
import { BlockStamper } from '../timing/block-stamper.ts';
import { asciiBytes, TransportError, type DeviceTransport } from './types.ts';

/** What a device-specific handshake can do with the device before streaming. */
export interface DriverIo {
  readonly transport: DeviceTransport;
  /** Encode (per device) and write one command; recorded for gain tracking. */
  send(cmd: string): Promise<void>;
  /** Collect text the device sends until `terminator` appears or `timeoutMs` passes. */
  readText(terminator: string, timeoutMs: number): Promise<{ text: string; complete: boolean }>;
  sleep(ms: number): Promise<void>;
}

/** The per-device part of a driver. */
export interface DriverSpec {
  descriptor: DeviceDescriptor;
  /** BLE: characteristics to subscribe to, command characteristic (see BluetoothTransport). */
  bluetooth?: { notify: string[]; write?: string };
  /** Bytes on the wire for a command (ASCII by default; Muse: length-prefixed). */
  encode?(cmd: string): Uint8Array;
  /** After the transport opened: talk to the device, check it is what we expect; returns decoder options. */
  handshake?(io: DriverIo): Promise<DecoderOptions>;
  /** A fresh decoder for one connection, told about every command sent so far. */
  decoder(opts: DecoderOptions): DeviceDecoder & { noteCommand?(cmd: string): void };
  startCommands: string[];
  stopCommands: string[];
  /** Pause between consecutive commands (Athena needs ~200 ms). */
  commandGapMs?: number;
  /**
   * Electrode impedance check, where the device offers one: commands to start/stop it, and how
   * the value comes back (the Ganglion reports ohms itself; the Cyton injects a 31.2 Hz lead-off
   * current and the page computes ohms from the tone, quality.ts leadOffImpedanceOhms).
   */
  impedance?: { on: string[]; off: string[]; method: 'device-reported' | 'leadoff-tone' };
  /** The stream the live view and recordings get (eeg or fnirs); channel count as decoded. */
  primaryStream(opts: DecoderOptions): StreamDescriptor;
}

export interface DriverOptions {
  /** Clock for arrival times (default core/clock nowMs). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

export class TransportDriver implements DeviceDriver {
  readonly descriptor: DeviceDescriptor;
  private _state: DriverState = 'closed';
  private decoder: (DeviceDecoder & { noteCommand?(cmd: string): void }) | null = null;
  private stamper: BlockStamper;
  private listener: DriverListener | null = null;
  private decoderOptions: DecoderOptions = {};
  /** Every command written since `open`, replayed into each new decoder (gain tracking). */
  readonly commandsSent: string[] = [];
  /** Decoder counters summed over every connection of this driver. */
  readonly totals: DecoderCounters = emptyCounters();
  /** Next continuous sample index per stream, across reconnections. */
  private readonly nextIndex = new Map<string, number>();
  /** Offset added to the current decoder's indices per stream. */
  private readonly indexBase = new Map<string, number>();
  private text = '';
  private readonly textDecoder = new TextDecoder('latin1');
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly rates = new Map<string, number>();

  constructor(
    readonly spec: DriverSpec,
    readonly transport: DeviceTransport,
    opts: DriverOptions = {},
  ) {
    this.descriptor = spec.descriptor;
    this.now = opts.now ?? nowMs;
    this.sleep = opts.sleep ?? defaultSleep;
    for (const s of spec.descriptor.streams) this.rates.set(s.id, s.sampleRateHz);
    this.stamper = this.newStamper();
    transport.onDisconnect = (reason) => this.disconnected(reason);
  }

  get state(): DriverState {
    return this._state;
  }

  /** The stream that goes to the ring (known after `open`). */
  get primary(): StreamDescriptor {
    return this.spec.primaryStream(this.decoderOptions);
  }

  /** Decoder options chosen by the handshake (firmware generation, …). */
  get options(): DecoderOptions {
    return this.decoderOptions;
  }

  private newStamper(): BlockStamper {
    return new BlockStamper((id) => this.rates.get(id) ?? 0);
  }

  private get io(): DriverIo {
    return {
      transport: this.transport,
      send: (cmd) => this.send(cmd),
      readText: (terminator, timeoutMs) => this.readText(terminator, timeoutMs),
      sleep: (ms) => this.sleep(ms),
    };
  }

  /** Connect and handshake. Also used to reconnect (the session calls open again after a drop). */
  async open(): Promise<void> {
    if (this._state !== 'closed') throw new TransportError('io', `${this.descriptor.name} is already open`);
    await this.transport.open();
    this.text = '';
    try {
      await this.transport.listen(this.route);
      this.decoderOptions = this.spec.handshake ? await this.spec.handshake(this.io) : {};
    } catch (e) {
      await this.transport.close().catch(() => {});
      throw e;
    }
    this._state = 'open';
  }

  async start(listener: DriverListener): Promise<void> {
    if (this._state !== 'open') throw new TransportError('io', `${this.descriptor.name}: start needs an open device (state ${this._state})`);
    this.listener = listener;
    this.decoder = this.spec.decoder({ ...this.decoderOptions, commandsSent: [...this.commandsSent] });
    this.stamper = this.newStamper();
    // Continue sample indices where the previous connection ended.
    for (const [id, next] of this.nextIndex) this.indexBase.set(id, next);
    this._state = 'streaming';
    for (const c of this.spec.startCommands) await this.sendSpaced(c);
  }

  async stop(): Promise<void> {
    if (this._state !== 'streaming') return;
    this.flushDecoder();
    this._state = 'open';
    if (this.transport.connected) for (const c of this.spec.stopCommands) await this.sendSpaced(c).catch(() => {});
  }

  async close(): Promise<void> {
    if (this._state === 'streaming') await this.stop();
    this._state = 'closed';
    await this.transport.close();
  }

  /** Advance a stream's sample index over frames lost while disconnected (counted as a gap). */
  skip(streamId: string, frames: number): void {
    if (frames <= 0) return;
    this.nextIndex.set(streamId, (this.nextIndex.get(streamId) ?? 0) + frames);
    this.totals.gaps++;
    this.totals.lostFrames += frames;
  }

  /** Continuous index of the next frame of a stream. */
  nextSampleIndex(streamId: string): number {
    return this.nextIndex.get(streamId) ?? 0;
  }

  async send(cmd: string): Promise<void> {
    this.commandsSent.push(cmd);
    this.decoder?.noteCommand?.(cmd);
    await this.transport.write(this.spec.encode ? this.spec.encode(cmd) : asciiBytes(cmd));
  }

  private async sendSpaced(cmd: string): Promise<void> {
    await this.send(cmd);
    if (this.spec.commandGapMs) await this.sleep(this.spec.commandGapMs);
  }

  private textWaiter: (() => void) | null = null;

  private async readText(terminator: string, timeoutMs: number): Promise<{ text: string; complete: boolean }> {
    const deadline = this.now() + timeoutMs;
    while (!this.text.includes(terminator)) {
      const left = deadline - this.now();
      if (left <= 0) break;
      await Promise.race([new Promise<void>((ok) => (this.textWaiter = ok)), this.sleep(Math.min(left, 50))]);
    }
    const i = this.text.indexOf(terminator);
    const complete = i >= 0;
    const text = complete ? this.text.slice(0, i + terminator.length) : this.text;
    this.text = complete ? this.text.slice(i + terminator.length) : '';
    return { text, complete };
  }

  /** Hot path: every chunk/notification from the transport. */
  private readonly route = (payload: Uint8Array, uuid?: string): void => {
    const dec = this.decoder;
    if (this._state !== 'streaming' || !dec) {
      // Before streaming: text replies for the handshake (bounded).
      if (this.text.length < 65536) this.text += this.textDecoder.decode(payload);
      this.textWaiter?.();
      return;
    }
    const arrivalMs = this.now();
    const blocks = dec.push(payload, uuid);
    this.emit(blocks, arrivalMs);
  };

  private emit(blocks: ReturnType<DeviceDecoder['push']>, arrivalMs: number): void {
    const l = this.listener;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      const base = this.indexBase.get(b.streamId) ?? 0;
      const st = this.stamper.stamp(b, arrivalMs);
      const sampleIndex = base + b.sampleIndex;
      this.nextIndex.set(b.streamId, sampleIndex + b.frames);
      if (b.lostBefore > 0) {
        this.totals.gaps++;
        this.totals.lostFrames += b.lostBefore;
        l?.onGap({ streamId: b.streamId, sampleIndex: sampleIndex - b.lostBefore, lostFrames: b.lostBefore, timestampMs: st.gap?.timestampMs ?? st.timestampsMs[0] });
      }
      l?.onFrames({ streamId: b.streamId, sampleIndex, frames: b.frames, channelCount: b.channelCount, samples: b.samples, timestampsMs: st.timestampsMs });
    }
  }

  private flushDecoder(): void {
    const dec = this.decoder;
    if (!dec) return;
    this.emit(dec.flush(), this.now());
    const c = dec.counters;
    const t = this.totals;
    t.packets += c.packets;
    t.bytesDiscarded += c.bytesDiscarded;
    t.resyncs += c.resyncs;
    t.unknownPackets += c.unknownPackets;
    t.malformedPackets += c.malformedPackets;
    this.decoder = null;
  }

  /** Counters of the whole session so far (past connections + the current decoder). */
  counters(): DecoderCounters {
    const out = { ...this.totals };
    const c = this.decoder?.counters;
    if (c) {
      out.packets += c.packets;
      out.bytesDiscarded += c.bytesDiscarded;
      out.resyncs += c.resyncs;
      out.unknownPackets += c.unknownPackets;
      out.malformedPackets += c.malformedPackets;
    }
    return out;
  }

  private disconnected(reason: string): void {
    if (this._state === 'closed') return;
    // Keep everything decoded so far: flush what the decoder still holds.
    if (this._state === 'streaming') this.flushDecoder();
    this._state = 'closed';
    this.listener?.onDisconnected(reason);
  }
}
