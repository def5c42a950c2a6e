// NeuroPype's SpectralSelection against NumPy (fixtures/make-np-fixtures.py: irfft(mask · rfft(x,
// nfft))[:n]) on segments and on continuous data in blocks, chunk-invariant with the output's time
// stamps; static acceptance and refusals.
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../../tests/support/shared';
import { Execution } from '../runtime';
import { axisOf, epochsChunk, feedChunks, instantiate, makeStream, only, packet, packetSummary, randomChunks, signalFromChannelMajor, toChannelMajor } from '../testing';
import fx from './fixtures/np-fixtures.json';
import { builtinRegistry } from './index';
import { spectralSelection } from './np-spectral';

const r = fx.spectralSelection;
const [E, S, C] = r.shape;
const stream = makeStream(C, r.fs);

describe('SpectralSelection', () => {
  it('band-passes each segment at once as NumPy (nfft 128 for 100 samples)', () => {
    const ep = epochsChunk(stream, Array.from({ length: E }, (_, e) => ({ samples: r.x.slice(e * S * C, (e + 1) * S * C), timeMs: 1000 * e })), S);
    const out = instantiate(spectralSelection, { frequencies: r.band }).node.process({ data: packet(ep) })!.data!.get('eeg')!;
    expect(out.block.axes).toEqual(ep.block.axes);
    expect(referenceError(out.block.data, Float64Array.from(r.y), 'nmax')).toBeLessThan(1e-6);
  });

  it('continuous data in blocks of blocksize from the stream start: NumPy per block, the same in any chunking, time stamps kept', () => {
    const cm = toChannelMajor(r.x.slice(0, S * C), S, C);
    const sig = signalFromChannelMajor(stream, cm, S, 500);
    const one = feedChunks(spectralSelection, { frequencies: r.band, blocksize: 50 }, sig, [S]).outputs.data;
    const many = feedChunks(spectralSelection, { frequencies: [r.band], blocksize: 50 }, sig, randomChunks(S, 7, 23)).outputs.data;
    expect(packetSummary(many)).toEqual(packetSummary(one));
    expect(referenceError(only(one).block.data, Float64Array.from(r.blocks50), 'nmax')).toBeLessThan(1e-6);
    expect(axisOf(only(many), 'time').timesMs).toEqual(axisOf(sig, 'time').timesMs);
    // 70 samples: one block leaves, 20 stay held
    const part = feedChunks(spectralSelection, { frequencies: r.band, blocksize: 50 }, signalFromChannelMajor(stream, toChannelMajor(r.x.slice(0, 70 * C), 70, C), 70), randomChunks(70, 2, 9)).outputs.data;
    expect(only(part).block.shape).toEqual([50, C]);
  });

  it('refuses malformed bands; a spectrum is refused at load', () => {
    expect(() => instantiate(spectralSelection, { frequencies: [12, 8] })).toThrow(/frequencies \[12,8\]: give one band \[low, high\] in Hz/);
    expect(() => instantiate(spectralSelection, { frequencies: [[4, 8], [30]] })).toThrow(/give one band/);
    const doc = { format: 'neurotab.pipeline', version: 1, nodes: [{ id: 'xdf', type: 'ImportXDF', params: { filename: 'x.xdf' } }, { id: 'psd', type: 'WelchSpectrum' }, { id: 'ss', type: 'SpectralSelection' }], edges: [{ source: 'xdf', target: 'psd' }, { source: 'psd', target: 'ss' }] };
    expect(() => new Execution(builtinRegistry()).load(doc)).toThrow(/node "ss".*SpectralSelection.*with a time axis of more than one element.*SpectralSelection works along a time axis/);
  });
});
