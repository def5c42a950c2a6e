// CCA node: D, A, B against statsmodels CanCorr (tests/ml/make-learner-reference.py →
// tests/ml/learner-reference.json, coefficients × √(n − 1) as canoncorr scales them, up to sign),
// per instance on segments, port typing and the stream-name rule.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceError } from '../../../../tests/support/shared';
import { instanceAxis, spaceAxis, timeAxis } from '../axes';
import { makeBlock } from '../block';
import { chunkProps, type Chunk } from '../packet';
import { Execution } from '../runtime';
import { axisOf, instantiate } from '../testing';
import { builtinRegistry } from './index';
import { registryResolver } from '../registry';
import { parsePyp, pypToPipeline } from '../../formats/pyp';
import { cca } from './np-feature-extraction';

const ref = JSON.parse(readFileSync(new URL('../../../../tests/ml/learner-reference.json', import.meta.url), 'utf8')).cca;
const n: number = ref.X.length;
const props = chunkProps({ id: 's', name: 's', kind: 'eeg' }, { is_signal: true });
const time = timeAxis(Float64Array.from({ length: n }, (_, i) => i * 4), 250);
const chans = (k: number, prefix: string) => spaceAxis(Array.from({ length: k }, (_, i) => ({ label: `${prefix}${i}`, unit: '', type: 'EEG' })));
const chunk = (rows: number[][], prefix: string): Chunk => ({ block: makeBlock(Float64Array.from(rows.flat()), [time, chans(rows[0].length, prefix)]), props });
const twice = (rows: number[][], prefix: string): Chunk => {
  const flat = rows.flat();
  return { block: makeBlock(Float64Array.from([...flat, ...flat]), [instanceAxis(Float64Array.from([0, 5000]), {}, 'segments'), time, chans(rows[0].length, prefix)]), props };
};

function checkCoefficients(a: Float64Array, theirs: number[][], rows: number, d: number, offset = 0) {
  for (let k = 0; k < d; k++) {
    const col = Array.from({ length: rows }, (_, j) => a[offset + j * d + k]);
    const exp = theirs.map((row) => row[k] * Math.sqrt(n - 1));
    const sign = col.reduce((s, v, j) => s + v * exp[j], 0) < 0 ? -1 : 1;
    expect(referenceError(col.map((v) => sign * v), exp, 'nmax')).toBeLessThan(1e-8);
  }
}

describe('CCA node vs statsmodels CanCorr', () => {
  it('continuous X (4 variables) and Y (3): D = the canonical correlations, A and B the coefficients', () => {
    const { node } = instantiate(cca);
    const out = node.process({ X: new Map([['eeg', chunk(ref.X, 'x')]]), Y: new Map([['eeg', chunk(ref.Y, 'y')]]) })!;
    const D = out.D!.get('eeg')!;
    expect(D.block.axes.map((a) => a.type)).toEqual(['feature']);
    expect(referenceError(D.block.data, ref.cancorr, 'abs')).toBeLessThan(1e-10);
    const A = out.A!.get('eeg')!;
    expect(A.block.shape).toEqual([4, 3]);
    expect(axisOf(A, 'space').channels.map((c) => c.label)).toEqual(['x0', 'x1', 'x2', 'x3']);
    checkCoefficients(A.block.data as Float64Array, ref.x_cancoef_unit_norm, 4, 3);
    checkCoefficients(out.B!.get('eeg')!.block.data as Float64Array, ref.y_cancoef_unit_norm, 3, 3);
  });

  it('segments: one CCA per instance', () => {
    const { node } = instantiate(cca);
    const out = node.process({ X: new Map([['eeg', twice(ref.X, 'x')]]), Y: new Map([['eeg', twice(ref.Y, 'y')]]) })!;
    const D = out.D!.get('eeg')!;
    expect(D.block.axes.map((a) => a.type)).toEqual(['instance', 'feature']);
    expect(referenceError(D.block.data, [...ref.cancorr, ...ref.cancorr], 'abs')).toBeLessThan(1e-10);
    checkCoefficients(out.A!.get('eeg')!.block.data as Float64Array, ref.x_cancoef_unit_norm, 4, 3, 12);
  });

  it('refuses a Y without the stream X has, and markers or spectra at load', () => {
    const { node } = instantiate(cca);
    expect(() => node.process({ X: new Map([['eeg', chunk(ref.X, 'x')]]), Y: new Map([['ref', chunk(ref.Y, 'y')]]) })).toThrow(/input Y has no stream "eeg".*"ref".*same stream names/);
    expect(() => instantiate(cca, { axis: 'time' })).toThrow(/"axis".*observation axis/);
    const ex = new Execution(builtinRegistry());
    expect(() =>
      ex.load({
        format: 'neurotab.pipeline',
        version: 1,
        meta: { name: 't', description: '' },
        nodes: [
          { id: 'in', type: 'ImportFile' },
          { id: 'psd', type: 'WelchSpectrum' },
          { id: 'cca', type: 'CCA' },
        ],
        edges: [
          { source: 'in', target: 'psd' },
          { source: 'psd', target: 'cca', targetPort: 'X' },
          { source: 'in', target: 'cca', targetPort: 'Y' },
        ],
      }),
    ).toThrow(/node "cca".*input "X" of CCA.*time/);
  });
});

describe('CCA in a patch-less .pyp', () => {
  it("links on the designer's X, Y / A, B, D channels keep their upper-case engine names", () => {
    const node = (id: number, cls: string, pkg: string) => `<node id="${id}" name="${cls}" position="(0, 0)" project_name="NeuroPype" qualified_name="widgets.${pkg}.ow${cls.toLowerCase()}.OW${cls}" title="${cls}" uuid="00000000-0000-4000-8000-00000000000${id}" version="1.0.0" />`;
    const text = `<scheme version="2.0" title="ssvep" description=""><nodes>${node(0, 'ImportFile', 'file_system')}${node(1, 'CCA', 'feature_extraction')}</nodes><links>
      <link enabled="true" id="0" sink_channel="X" sink_node_id="1" source_channel="Data" source_node_id="0" />
      <link enabled="true" id="1" sink_channel="Y" sink_node_id="1" source_channel="Data" source_node_id="0" /></links>
      <node_properties><properties format="literal" node_id="1">{'axis': 'space'}</properties></node_properties><patch /></scheme>`;
    const { doc } = pypToPipeline(parsePyp(text), registryResolver(builtinRegistry()));
    expect(doc.edges.map((e) => e.targetPort)).toEqual(['X', 'Y']);
    expect(() => new Execution(builtinRegistry()).load(doc)).not.toThrow();
  });
});
