// Stream info documents as liblsl 1.16.2 writes them (captured in testing/fixtures/liblsl-feeds.json
// by testing/make-protocol-fixture.ts): parsed field by field, written back in liblsl's form, and
// every malformed variant refused with the field named.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { textElement } from '../../../src/lib/formats/xml-lite';
import { descElement, infoMessage, parseStreamInfo, streamChannels } from './stream-info';

const fixture = JSON.parse(readFileSync(new URL('./testing/fixtures/liblsl-feeds.json', import.meta.url), 'utf8'));
const fullinfo: string = fixture.int16.v110.fullinfo;
const reply: string = fixture.int16.v110.shortinfoReply;

describe('liblsl stream infos', () => {
  it('parses a discovery reply (after its query-id line) and a fullinfo', () => {
    const [id, ...rest] = reply.split('\r\n');
    expect(id).toBe('1');
    const short = parseStreamInfo(rest.join('\r\n'));
    expect(short).toMatchObject({
      name: 'fixture-int16-110',
      type: 'EEG',
      channelCount: 3,
      channelFormat: 'int16',
      sourceId: 'fixture',
      nominalSrateHz: 10,
      version: 110,
      uid: fixture.int16.v110.uid,
      sessionId: 'default',
      v4address: '',
    });
    // liblsl takes the first free ports from 16572 (32 of them).
    for (const p of [short.v4dataPort, short.v4servicePort]) expect(p >= 16572 && p < 16604).toBe(true);
    expect(short.createdAtS).toBeGreaterThan(0);
    expect(short.desc.children).toEqual([]);
    const full = parseStreamInfo(fullinfo);
    expect(streamChannels(full)).toEqual([0, 1, 2].map((c) => ({ label: `c${c}`, unit: 'microvolts', type: 'EEG' })));
    expect(full.desc.children.find((c) => c.tag === 'manufacturer')?.text).toBe('lsl-peer');
  });

  it('writes the fullinfo back in liblsl form: same fields, desc kept, numbers as %.16g', () => {
    const full = parseStreamInfo(fullinfo);
    const text = infoMessage(full, true);
    expect(parseStreamInfo(text)).toEqual(full);
    expect(text).toContain('\t<nominal_srate>10.00000000000000</nominal_srate>\n\t<version>1.100000000000000</version>\n');
    expect(text).toContain('\t<v4address></v4address>\n');
    expect(text.split('\n')[0]).toBe('<?xml version="1.0"?>');
    const short = infoMessage(full, false);
    expect(parseStreamInfo(short).desc.children).toEqual([]);
  });

  it('builds a desc with channels and extra elements', () => {
    const d = descElement([{ label: 'Fp1', unit: 'microvolts', type: 'EEG' }, { label: 'Marker' }], [textElement('manufacturer', 'Neurotab')]);
    const info = { ...parseStreamInfo(fullinfo), desc: d };
    expect(streamChannels(parseStreamInfo(infoMessage(info, true)))).toEqual([{ label: 'Fp1', unit: 'microvolts', type: 'EEG' }, { label: 'Marker', unit: '', type: '' }]);
  });
});

describe('malformed stream infos are refused, naming the field', () => {
  const field = (tag: string, value: string) => fullinfo.replace(new RegExp(`<${tag}>[^<]*</${tag}>`), `<${tag}>${value}</${tag}>`);
  it.each([
    ['<info><name>x</name>', 'XML does not parse (unclosed <name>)'.replace('<name>', '<info>')],
    ['<stream/>', 'root element is <stream>, expected <info>'],
    [field('name', ''), '<name> is empty'],
    [field('channel_format', 'float16'), '<channel_format> is "float16", expected one of int8, int16, int32, int64, float32, double64, string'],
    [field('channel_count', '-1'), '<channel_count> is "-1", expected an integer from 0 to 1000000'],
    [field('channel_count', '99999999999'), '<channel_count> is "99999999999", expected an integer from 0 to 1000000'],
    [field('nominal_srate', 'fast'), '<nominal_srate> is "fast", expected a number ≥ 0'],
    [field('version', '0'), '<version> is "0", expected a protocol version such as 1.10'],
    [field('uid', ''), '<uid> is empty'],
    [field('v4data_port', '70000'), '<v4data_port> is "70000", expected an integer from 0 to 65535'],
  ])('%#', (xml, message) => {
    expect(() => parseStreamInfo(xml, 'reply from 127.0.0.1')).toThrow(`reply from 127.0.0.1: ${message}`);
  });
});
