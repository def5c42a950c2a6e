// The Lab Streaming Layer messages of the bridge socket (issue 20 items 2 and 3): the tab asks the
// bridge to resolve LSL streams, to publish app streams as outlets and to open inlets whose chunks
// come back. Samples travel as base64 of little-endian float32 (values) and float64 (timestamps,
// milliseconds on the BRIDGE's app clock — the tab maps them with `lsl-clock` probes). Pure; any
// thread (tab, worker, Node). Must not hold state: clients/bridge sockets own that.

/** Stream facts as the bridge resolves them (`GET /bci/v1/lsl/streams` in snake_case). */
export interface LslStreamSummary {
  name: string;
  type: string;
  sourceId: string;
  channelCount: number;
  /** 0 for irregular streams. */
  nominalSrateHz: number;
  channelFormat: string;
  hostname: string;
  uid: string;
}

/** One channel of an outlet or of an inlet's fullinfo. */
export interface LslWireChannel {
  label: string;
  unit: string;
  type: string;
}

/**
 * What an app stream is published as. Numeric streams go out as float32 (the app's sample type),
 * marker streams as one string channel.
 */
export interface LslOutletSpec {
  name: string;
  type: string;
  sourceId: string;
  channelFormat: 'float32' | 'string';
  nominalSrateHz: number;
  channels: LslWireChannel[];
}

/** Tab → bridge. `req` pairs an answer with its question; `outlet`/`inlet` ids are the tab's. */
export type LslTabToBridge =
  | { type: 'lsl-resolve'; req: number; waitS: number }
  | { type: 'lsl-clock-probe'; req: number }
  | { type: 'lsl-outlet-open'; outlet: string; spec: LslOutletSpec }
  /** frames × channels values (float32 base64) or strings; one timestamp per frame (float64 base64, bridge-clock ms). */
  | { type: 'lsl-samples'; outlet: string; frames: number; valuesBase64?: string; strings?: string[]; timestampsBase64: string }
  | { type: 'lsl-outlet-close'; outlet: string }
  /** `query`: an XPath predicate on the stream info (`name='EEG'`, `type='Markers'`), as liblsl's resolve_bypred. */
  | { type: 'lsl-inlet-open'; inlet: string; query: string; waitS: number }
  | { type: 'lsl-inlet-close'; inlet: string };

/** What an inlet reports besides samples (LSL's recovery, and chunks the bridge had to drop). */
export type LslInletEventKind = 'disconnected' | 'recovered' | 'gap-detected' | 'lost' | 'dropped';

/** Bridge → tab. */
export type LslBridgeToTab =
  | { type: 'lsl-streams'; req: number; streams: LslStreamSummary[]; error?: string }
  | { type: 'lsl-clock'; req: number; bridgeMs: number }
  | { type: 'lsl-outlet-opened'; outlet: string; uid?: string; error?: string }
  | { type: 'lsl-inlet-opened'; inlet: string; stream?: LslStreamSummary; channels?: LslWireChannel[]; error?: string }
  | { type: 'lsl-chunk'; inlet: string; frames: number; valuesBase64?: string; strings?: string[]; timestampsBase64: string }
  /** `gapMs`: time between the samples either side of a gap; `frames`: samples lost or dropped (when known). */
  | { type: 'lsl-inlet-event'; inlet: string; event: LslInletEventKind; detail: string; gapMs?: number; frames?: number };

/** Largest chunk (values) one message may carry; bigger pushes are split. */
export const LSL_WIRE_MAX_VALUES = 64 * 1024;

function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function base64ToBytes(b64: string, what: string): Uint8Array {
  let s: string;
  try {
    s = atob(b64);
  } catch {
    throw new Error(`${what} is not base64`);
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// Typed arrays use the platform's byte order; every platform a browser or Node runs on here
// (x86-64, ARM64) is little-endian, which is what the wire says.

/** float32 values as base64 of their little-endian bytes (allocates; one per message). */
export function encodeFloat32(values: ArrayLike<number>): string {
  return bytesToBase64(new Uint8Array(Float32Array.from(values).buffer));
}

export function encodeFloat64(values: ArrayLike<number>): string {
  return bytesToBase64(new Uint8Array(Float64Array.from(values).buffer));
}

/** Decodes base64 little-endian float32 of exactly `count` values; throws a message naming what is wrong. */
export function decodeFloat32(b64: string, count: number, what = 'valuesBase64'): Float32Array {
  const bytes = base64ToBytes(b64, what);
  if (bytes.length !== count * 4) throw new Error(`${what} holds ${bytes.length} bytes, not ${count} float32 values (${count * 4} bytes)`);
  return new Float32Array(bytes.buffer, bytes.byteOffset, count);
}

export function decodeFloat64(b64: string, count: number, what = 'timestampsBase64'): Float64Array {
  const bytes = base64ToBytes(b64, what);
  if (bytes.length !== count * 8) throw new Error(`${what} holds ${bytes.length} bytes, not ${count} float64 values (${count * 8} bytes)`);
  return new Float64Array(bytes.buffer, bytes.byteOffset, count);
}

/** Samples of one message, checked: values are frames × channels, one timestamp per frame. */
export function decodeSamples(
  m: { frames: number; valuesBase64?: string; strings?: string[]; timestampsBase64: string },
  channelCount: number,
): { frames: number; values: Float32Array | string[]; timestampsMs: Float64Array } {
  if (!Number.isInteger(m.frames) || m.frames < 0 || m.frames * channelCount > LSL_WIRE_MAX_VALUES) throw new Error(`frames must be an integer from 0 to ${Math.floor(LSL_WIRE_MAX_VALUES / channelCount)}, not ${m.frames}`);
  const timestampsMs = decodeFloat64(m.timestampsBase64, m.frames);
  const n = m.frames * channelCount;
  if (m.strings !== undefined) {
    if (!Array.isArray(m.strings) || m.strings.length !== n || m.strings.some((s) => typeof s !== 'string')) throw new Error(`strings must be ${n} strings (${m.frames} samples × ${channelCount} channels)`);
    return { frames: m.frames, values: m.strings, timestampsMs };
  }
  if (typeof m.valuesBase64 !== 'string') throw new Error('a samples message needs valuesBase64 or strings');
  return { frames: m.frames, values: decodeFloat32(m.valuesBase64, n), timestampsMs };
}
