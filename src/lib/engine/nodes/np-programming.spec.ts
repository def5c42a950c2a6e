// Programming value nodes: values chain through parameter wires in topological order, as real
// .pyp files wire them (ConstantString → StringConcat → ImportXDF filename; ParameterPort(dict) →
// BreakStructure → Segmentation time_bounds …), and bad values are refused at load with node id.
import { describe, expect, it } from 'vitest';
import { PipelineError, type PipelineDocumentInput } from '../document';
import { Execution } from '../runtime';
import { builtinRegistry } from './index';

type N = PipelineDocumentInput['nodes'][number];
type E = NonNullable<PipelineDocumentInput['edges']>[number];
const doc = (nodes: N[], edges: E[]): PipelineDocumentInput => ({ format: 'neurotab.pipeline', version: 1, meta: { name: 't', description: '' }, nodes, edges });

function loaded(nodes: N[], edges: E[]): Execution {
  const ex = new Execution(builtinRegistry());
  ex.load(doc(nodes, edges));
  return ex;
}

function refusal(nodes: N[], edges: E[]): string {
  try {
    loaded(nodes, edges);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return (e as PipelineError).issues.map((i) => `${i.nodeId}: ${i.message}`).join('\n');
  }
  throw new Error('expected a refusal');
}

const imp = { id: 'imp', type: 'ImportXDF' };
const seg = { id: 'seg', type: 'Segmentation' };

describe('ConstantString and StringConcat', () => {
  it('root + "/" + name reaches ImportXDF filename through two value nodes (values applied in topological order, whatever the document order)', () => {
    const nodes: N[] = [
      imp,
      { id: 'cat', type: 'StringConcat' },
      { id: 'root', type: 'ConstantString', params: { value: 'C:/data' } },
      { id: 'slash', type: 'ConstantString', params: { value: '/' } },
      { id: 'name', type: 'ConstantString', params: { value: 'calib.xdf' } },
    ];
    const edges: E[] = [
      { source: 'cat', sourcePort: 'outstring', target: 'imp', targetPort: 'filename' },
      { source: 'root', sourcePort: 'data', target: 'cat', targetPort: 'data1' },
      { source: 'slash', sourcePort: 'data', target: 'cat', targetPort: 'data2' },
      { source: 'name', sourcePort: 'data', target: 'cat', targetPort: 'data4' },
    ];
    const ex = loaded(nodes, edges);
    expect(ex.getParams('imp').filename).toBe('C:/data/calib.xdf');
    expect(ex.getParams('cat')).toMatchObject({ data1: 'C:/data', data2: '/', data3: null, data4: 'calib.xdf' });
  });

  it('refuses a dict wired into StringConcat, naming the node and the input', () => {
    const msg = refusal(
      [imp, { id: 'cat', type: 'StringConcat' }, { id: 'pp', type: 'ParameterPort', params: { value: { a: 1 } } }],
      [
        { source: 'pp', sourcePort: 'value', target: 'cat', targetPort: 'data1' },
        { source: 'cat', sourcePort: 'outstring', target: 'imp', targetPort: 'filename' },
      ],
    );
    expect(msg).toMatch(/^cat: .*parameter "data1" must be a string, got \{"a":1\}/m);
  });

  it('a value output cannot feed a data input', () => {
    const msg = refusal([{ id: 'c', type: 'ConstantString', params: { value: 'x' } }, { id: 'f', type: 'IIRFilter' }], [{ source: 'c', sourcePort: 'data', target: 'f', targetPort: 'data' }]);
    expect(msg).toMatch(/np\.constant-string\.data is a value, not data/);
  });
});

describe('BreakStructure', () => {
  const pp = (value: unknown) => ({ id: 'pp', type: 'ParameterPort', params: { portname: 'config', value_type: 'dict', value } });
  const bs = { id: 'bs', type: 'BreakStructure', params: { name0: 'file', name1: 'bounds', name2: 'missing', default2: 7, name3: 'unset' } };
  const edges: E[] = [
    { source: 'pp', sourcePort: 'value', target: 'bs', targetPort: 'indict' },
    { source: 'bs', sourcePort: 'out0', target: 'imp', targetPort: 'filename' },
    { source: 'bs', sourcePort: 'out1', target: 'seg', targetPort: 'time_bounds' },
    { source: 'bs', sourcePort: 'out2', target: 'cat', targetPort: 'data1' },
    { source: 'bs', sourcePort: 'out3', target: 'cat', targetPort: 'data2' },
  ];
  it('out_k = indict[name_k], else default_k as a string; a key with no default leaves the wired parameter alone (the 2024 SSVEP wiring)', () => {
    const ex = loaded([pp({ file: 'S01.xdf', bounds: [0.5, 4] }), bs, imp, seg, { id: 'cat', type: 'StringConcat' }], edges);
    expect(ex.getParams('imp').filename).toBe('S01.xdf');
    expect(ex.getParams('seg').time_bounds).toEqual([0.5, 4]);
    expect(ex.getParams('cat')).toMatchObject({ data1: '7', data2: null });
  });
  it("an unfilled dict ParameterPort (value '', as the designer saves it) is no value: the wired parameters keep their own", () => {
    const ex = loaded([pp(''), bs, { ...imp, params: { filename: 'own.xdf' } }, seg, { id: 'cat', type: 'StringConcat' }], edges);
    expect(ex.getParams('imp').filename).toBe('own.xdf');
    expect(ex.getParams('seg').time_bounds).toEqual(loaded([seg], []).getParams('seg').time_bounds);
    expect(refusal([{ ...pp(''), params: { value_type: 'string', value: 5 } }], [])).toMatch(/^pp: .*value 5 is not of value_type string/m);
  });
  it("reads NeuroPype's Python dict text", () => {
    const ex = loaded([{ ...bs, params: { ...bs.params, indict: "{'file': 'a.xdf', 'bounds': (0, 1), 'ok': True}" } }, imp, seg, { id: 'cat', type: 'StringConcat' }], edges.slice(1));
    expect(ex.getParams('imp').filename).toBe('a.xdf');
    expect(ex.getParams('seg').time_bounds).toEqual([0, 1]);
  });
  it('refuses indict that is not a dict, and defaults_type other than str', () => {
    expect(refusal([pp([1, 2]), bs], [edges[0]])).toMatch(/^bs: .*parameter "indict" must be a dict, got \[1,2\]/m);
    expect(refusal([{ id: 'bs', type: 'BreakStructure', params: { defaults_type: 'int' } }], [])).toMatch(/defaults_type.*expects one of "str"/);
  });
});

describe('ListIterator', () => {
  const edges: E[] = [
    { source: 'pp', sourcePort: 'value', target: 'it', targetPort: 'items' },
    { source: 'it', sourcePort: 'curitem', target: 'imp', targetPort: 'filename' },
  ];
  it('one item: curitem is that item', () => {
    const ex = loaded([{ id: 'pp', type: 'ParameterPort', params: { value: ['S07.xdf'] } }, { id: 'it', type: 'ListIterator' }, imp], edges);
    expect(ex.getParams('imp').filename).toBe('S07.xdf');
  });
  it('several items (a batch loop) are refused at load, naming the node and the parameter', () => {
    const msg = refusal([{ id: 'pp', type: 'ParameterPort', params: { value: ['a.xdf', 'b.xdf'] } }, { id: 'it', type: 'ListIterator' }, imp], edges);
    expect(msg).toMatch(/^it: .*parameter "items" holds 2 items, but running the pipeline once per item/m);
  });
});
