// LSL stream info: the <info> XML liblsl exchanges as "shortinfo" (discovery replies, the 1.00 feed
// header; <desc> empty) and "fullinfo" (with <desc>: channels with label, unit, type, and whatever
// else the outlet described). Pure; runs anywhere. Parsing never trusts the document: every field
// is checked as liblsl's stream_info_impl::read_xml checks it, plus bounds on counts.
import { InputError } from '../../../src/lib/core/errors';
import { XDF_FORMAT_BYTES, type XdfChannel, type XdfChannelFormat } from '../../../src/lib/formats/xdf-writer';
import { child, childText, parseXml, textElement, writeXml, type XmlElement } from '../../../src/lib/formats/xml-lite';

export { descElement } from '../../../src/lib/formats/xdf-writer';

/** LSL's channel formats are XDF's (LabRecorder writes them as they come). */
export type ChannelFormat = XdfChannelFormat;
/** A channel as read from a stream info (absent fields are ''). */
export type LslChannel = Required<XdfChannel>;
/** A channel to describe in an outlet's info: a label, optionally unit and type. */
export type LslChannelSpec = XdfChannel;

/** Bytes per value on the wire (liblsl channel_bytes; 0 for strings, whose values are varlen). */
export const CHANNEL_FORMAT_BYTES: Record<ChannelFormat, number> = XDF_FORMAT_BYTES;

/** Most channels we accept in a stream info (a bound for documents from the network). */
export const MAX_CHANNELS = 1_000_000;
/** Largest stream info document we parse (fullinfo over TCP). */
export const MAX_INFO_BYTES = 16 * 1024 * 1024;

export interface StreamInfo {
  name: string;
  type: string;
  channelCount: number;
  channelFormat: ChannelFormat;
  sourceId: string;
  /** 0 for irregular streams. */
  nominalSrateHz: number;
  /** Protocol version × 100 (110 for liblsl ≥ 1.10). */
  version: number;
  /** When the outlet was created, on its LSL clock (seconds). */
  createdAtS: number;
  uid: string;
  sessionId: string;
  hostname: string;
  /** Filled in by the resolver from the reply's source address (outlets leave it empty). */
  v4address: string;
  v4dataPort: number;
  v4servicePort: number;
  v6address: string;
  v6dataPort: number;
  v6servicePort: number;
  /** The <desc> element (empty in a shortinfo). */
  desc: XmlElement;
}

function emptyElement(tag: string): XmlElement {
  return { tag, attributes: {}, children: [], text: '' };
}

/** liblsl's number format for floating fields (`%#.16g`: "100.0000000000000", "1.100000000000000"). */
function lslNumber(x: number): string {
  return Number.isFinite(x) && Math.abs(x) < 1e16 ? x.toPrecision(16) : String(x);
}

/** The <info> element, fields in liblsl's order; `withDesc` false gives the shortinfo form. */
export function infoElement(info: StreamInfo, withDesc = true): XmlElement {
  return {
    tag: 'info',
    attributes: {},
    text: '',
    children: [
      textElement('name', info.name),
      textElement('type', info.type),
      textElement('channel_count', info.channelCount),
      textElement('channel_format', info.channelFormat),
      textElement('source_id', info.sourceId),
      textElement('nominal_srate', lslNumber(info.nominalSrateHz)),
      textElement('version', lslNumber(info.version / 100)),
      textElement('created_at', lslNumber(info.createdAtS)),
      textElement('uid', info.uid),
      textElement('session_id', info.sessionId),
      textElement('hostname', info.hostname),
      textElement('v4address', info.v4address),
      textElement('v4data_port', info.v4dataPort),
      textElement('v4service_port', info.v4servicePort),
      textElement('v6address', info.v6address),
      textElement('v6data_port', info.v6dataPort),
      textElement('v6service_port', info.v6servicePort),
      withDesc ? info.desc : emptyElement('desc'),
    ],
  };
}

/** The document text liblsl sends (pugixml style: declaration, one element per line, tabs, `<a></a>`). */
export function infoMessage(info: StreamInfo, withDesc: boolean): string {
  return writeXml(infoElement(info, withDesc), { indent: '\t', selfClose: false });
}

function intField(info: XmlElement, field: string, min: number, max: number, where: string): number {
  const raw = childText(info, field);
  const v = Number(raw);
  if (raw === '' || !Number.isInteger(v) || v < min || v > max) throw new InputError(`<${field}> is "${raw.slice(0, 40)}", expected an integer from ${min} to ${max}`, where);
  return v;
}

function numberField(info: XmlElement, field: string, where: string, min = -Infinity): number {
  const raw = childText(info, field);
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v) || v < min) throw new InputError(`<${field}> is "${raw.slice(0, 40)}", expected a number${min > -Infinity ? ` ≥ ${min}` : ''}`, where);
  return v;
}

/** Parses a shortinfo or fullinfo document. Throws InputError naming the field that is wrong. */
export function parseStreamInfo(xml: string, where = 'stream info'): StreamInfo {
  if (xml.length > MAX_INFO_BYTES) throw new InputError(`document of ${xml.length} characters is larger than ${MAX_INFO_BYTES}`, where);
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    throw new InputError(`XML does not parse (${e instanceof Error ? e.message : String(e)})`, where);
  }
  if (root.tag !== 'info') throw new InputError(`root element is <${root.tag}>, expected <info>`, where);
  const name = childText(root, 'name');
  if (!name) throw new InputError('<name> is empty', where);
  const fmt = childText(root, 'channel_format');
  if (!(fmt in CHANNEL_FORMAT_BYTES)) throw new InputError(`<channel_format> is "${fmt.slice(0, 40)}", expected one of ${Object.keys(CHANNEL_FORMAT_BYTES).join(', ')}`, where);
  const versionText = childText(root, 'version');
  const version = Math.round(Number(versionText) * 100);
  if (!(version > 0)) throw new InputError(`<version> is "${versionText.slice(0, 40)}", expected a protocol version such as 1.10`, where);
  const uid = childText(root, 'uid');
  if (!uid) throw new InputError('<uid> is empty', where);
  const port = (f: string) => (child(root, f) ? intField(root, f, 0, 65535, where) : 0);
  return {
    name,
    type: childText(root, 'type'),
    channelCount: intField(root, 'channel_count', 0, MAX_CHANNELS, where),
    channelFormat: fmt as ChannelFormat,
    sourceId: childText(root, 'source_id'),
    nominalSrateHz: numberField(root, 'nominal_srate', where, 0),
    version,
    createdAtS: child(root, 'created_at') ? numberField(root, 'created_at', where) : 0,
    uid,
    sessionId: childText(root, 'session_id'),
    hostname: childText(root, 'hostname'),
    v4address: childText(root, 'v4address'),
    v4dataPort: port('v4data_port'),
    v4servicePort: port('v4service_port'),
    v6address: childText(root, 'v6address'),
    v6dataPort: port('v6data_port'),
    v6servicePort: port('v6service_port'),
    desc: child(root, 'desc') ?? emptyElement('desc'),
  };
}

/** The channels listed under desc/channels (liblsl's convention); empty strings where absent. */
export function streamChannels(info: StreamInfo): LslChannel[] {
  const list = child(info.desc, 'channels')?.children.filter((c) => c.tag === 'channel') ?? [];
  return list.map((c) => ({ label: childText(c, 'label'), unit: childText(c, 'unit'), type: childText(c, 'type') }));
}
