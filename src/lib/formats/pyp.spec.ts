import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../core/errors';
import { parsePipelineDocument, PIPELINE_FORMAT, PIPELINE_VERSION, type PipelineDocument } from '../engine/document';
import {
  EncryptedPipelineError,
  parsePyp,
  parsePythonLiteral,
  pipelineToPyp,
  pypToPipeline,
  readPipelineText,
  UnsupportedNodeClassError,
  writePyp,
  type PipelineDocumentShape,
  type PypGraph,
  type PypResolver,
} from './pyp';

// A file laid out like the G1/G2 writers (PYP.md §1.1): alphabetical attributes, patch indented
// 4 spaces with sorted keys, node keys sorting as strings (node10 would precede node2).
const G2_FILE = `<?xml version='1.0' encoding='utf-8'?>
<scheme description="Alpha band&#10;power" title="alpha" version="2.0">
\t<nodes>
\t\t<node id="0" name="LSL Input" position="(120.0, 300.0)" project_name="NeuroPype" qualified_name="widgets.network.owlslinput.OWLSLInput" title="LSL Input" uuid="5a9295ab-be0a-4ad0-bc80-0c99afe1f616" version="1.3.6" />
\t\t<node id="1" name="IIR Filter" position="(312, -40)" project_name="NeuroPype" qualified_name="widgets.signal_processing.owiirfilter.OWIIRFilter" title="Band &lt;8-13&gt;" uuid="b4ec7900-456d-40d1-a0ec-de5824f946a4" version="1.1.0" />
\t\t<node id="2" name="Parameter Port" position="(10, 10)" project_name="NeuroPype" qualified_name="widgets.workflow.owparameterport.OWParameterPort" title="Parameter Port" uuid="0c6f2d1e-8b7a-4c55-9a61-2f3e4d5c6b7a" version="1.0.0" />
\t</nodes>
\t<links>
\t\t<link enabled="true" id="0" sink_channel="Data" sink_node_id="1" source_channel="Data" source_node_id="0" />
\t\t<link enabled="true" id="1" sink_channel="Frequencies" sink_node_id="1" source_channel="Value" source_node_id="2" />
\t</links>
\t<annotations>
\t\t<text font-family="Sans" font-size="12" id="0" rect="(0, 0, 100, 20)">note &amp; more</text>
\t</annotations>
\t<thumbnail />
\t<node_properties>
\t\t<properties format="pickle" node_id="0">gAN9cQAoWAUAAABxdWVyeXEBWAoAAAB0eXBlPSdFRUcncQJ1Lg==</properties>
\t\t<properties format="literal" node_id="1">{'frequencies': [8, 9, 13, 14], 'savedWidgetGeometry': None}</properties>
\t\t<properties format="literal" node_id="2">{'portname': 'band', 'savedWidgetGeometry': None}</properties>
\t</node_properties>
\t<patch>{
    "description": {
        "description": "Alpha band\\npower",
        "license": "",
        "name": "alpha",
        "status": "(unspecified)",
        "url": "",
        "version": "0.0.0"
    },
    "edges": [
        [
            "node1",
            "data",
            "node2",
            "data"
        ],
        [
            "node3",
            "value",
            "node2",
            "frequencies"
        ]
    ],
    "nodes": {
        "node1": {
            "class": "LSLInput",
            "module": "neuropype.nodes.network.LSLInput",
            "params": {
                "query": {"customized": true, "type": "StringPort", "value": "type='EEG'"},
                "nominal_rate": {"customized": false, "type": "FloatPort", "value": NaN},
                "metadata": {"customized": false, "type": "DictPort", "value": {}}
            },
            "uuid": "5a9295ab-be0a-4ad0-bc80-0c99afe1f616"
        },
        "node2": {
            "class": "IIRFilter",
            "module": "neuropype.nodes.signal_processing.IIRFilter",
            "params": {
                "frequencies": {"customized": true, "type": "ListPort", "value": [8, 9, 13, 14]},
                "order": {"customized": false, "type": "IntPort", "value": null},
                "stop_atten": {"customized": false, "type": "FloatPort", "value": Infinity},
                "set_breakpoint": {"customized": true, "type": "BoolPort", "value": true}
            },
            "uuid": "b4ec7900-456d-40d1-a0ec-de5824f946a4"
        },
        "node3": {
            "class": "ParameterPort",
            "module": "neuropype.nodes.workflow.ParameterPort",
            "params": {
                "portname": {"customized": true, "type": "StringPort", "value": "band"},
                "default": {"customized": true, "type": "Port", "value": [7, 8, 12, 13]}
            },
            "uuid": "0c6f2d1e-8b7a-4c55-9a61-2f3e4d5c6b7a"
        }
    },
    "version": 1.1
}</patch>
</scheme>
`;

// A patch-less file (variant A, PYP.md §1.1): settings only in literal properties, one disabled link,
// a display name that is not the lower-case form of the engine port (Segment Time Limits → time_bounds).
const VARIANT_A = `<?xml version='1.0' encoding='utf-8'?>
<scheme version="2.0" title="epochs" description="">
  <nodes>
    <node id="0" name="Import XDF" qualified_name="widgets.file_system.owimportxdf.OWImportXDF" project_name="NeuroPype" version="1.0.0" title="Import XDF" uuid="11111111-2222-4333-8444-555555555555" position="(0, 0)" />
    <node id="1" name="Segmentation" qualified_name="widgets.formatting.owsegmentation.OWSegmentation" project_name="NeuroPype" version="1.0.0" title="Segmentation" uuid="11111111-2222-4333-8444-666666666666" position="(100, 0)" />
    <node id="2" name="Constant String" qualified_name="widgets.programming.owconstantstring.OWConstantString" project_name="NeuroPype" version="1.0.0" title="Bounds" uuid="11111111-2222-4333-8444-777777777777" position="(50, 80)" />
  </nodes>
  <links>
    <link id="0" source_node_id="0" sink_node_id="1" source_channel="Data" sink_channel="Data" enabled="true" />
    <link id="1" source_node_id="2" sink_node_id="1" source_channel="Data" sink_channel="Segment Time Limits" enabled="true" />
    <link id="2" source_node_id="0" sink_node_id="1" source_channel="Data" sink_channel="Data" enabled="false" />
  </links>
  <annotations />
  <thumbnail />
  <node_properties>
    <properties node_id="0" format="literal">{'filename': 'C:/data/run1.xdf', 'retain_streams': '(use default)', 'savedWidgetGeometry': None}</properties>
    <properties node_id="1" format="literal">{'time_bounds': [-0.2, 0.8], 'verbose': False, 'savedWidgetGeometry': None}</properties>
    <properties node_id="2" format="literal">{'data': "it's", 'savedWidgetGeometry': None}</properties>
  </node_properties>
  <patch />
</scheme>`;

const CLASSES: Record<string, { type: string; module: string; params: string[]; ports: Record<string, string> }> = {
  LSLInput: { type: 'io.stream-input', module: 'neuropype.nodes.network.LSLInput', params: ['query', 'nominal_rate'], ports: { query: 'StringPort', nominal_rate: 'FloatPort' } },
  IIRFilter: {
    type: 'filter.iir',
    module: 'neuropype.nodes.signal_processing.IIRFilter',
    params: ['frequencies', 'order', 'stop_atten'],
    ports: { frequencies: 'ListPort', order: 'IntPort', stop_atten: 'FloatPort' },
  },
  ParameterPort: { type: 'workflow.parameter-port', module: 'neuropype.nodes.workflow.ParameterPort', params: ['internal_name', 'value'], ports: { internal_name: 'StringPort', value: 'Port' } },
};
const ALIASES: Record<string, string> = { portname: 'internal_name', default: 'value' };

/** A resolver over a fixed table (the API wires the engine registry instead). */
const resolver: PypResolver = {
  nodeType: (c) => CLASSES[c]?.type,
  paramName: (type, p) => {
    const e = Object.values(CLASSES).find((x) => x.type === type);
    const name = ALIASES[p] ?? p;
    return e?.params.includes(name) ? name : undefined;
  },
  neuropype: (type) => {
    const [cls, e] = Object.entries(CLASSES).find(([, x]) => x.type === type) ?? [];
    return cls && e ? { class: cls, module: e.module } : undefined;
  },
  portType: (type, p) => Object.values(CLASSES).find((x) => x.type === type)?.ports[p] ?? 'Port',
};

describe('parsePyp (XML + JSON patch)', () => {
  const g = parsePyp(G2_FILE, 'alpha.pyp');
  it('reads the description, nodes in nodeK order and edges with engine port names', () => {
    expect(g.description).toEqual({ name: 'alpha', description: 'Alpha band\npower', url: '', status: '(unspecified)', license: '', version: '0.0.0' });
    expect(g.nodes.map((n) => [n.index, n.class])).toEqual([
      [1, 'LSLInput'],
      [2, 'IIRFilter'],
      [3, 'ParameterPort'],
    ]);
    expect(g.edges).toEqual([
      { source: 1, sourcePort: 'data', target: 2, targetPort: 'data' },
      { source: 3, sourcePort: 'value', target: 2, targetPort: 'frequencies' },
    ]);
  });
  it('joins XML <node> by uuid for title and position ("(x, y)" tuples, ints or floats, negative)', () => {
    expect(g.nodes[1].title).toBe('Band <8-13>');
    expect(g.nodes[1].position).toEqual({ x: 312, y: -40 });
    expect(g.nodes[0].position).toEqual({ x: 120, y: 300 });
  });
  it("tolerates Python's NaN/Infinity tokens in the patch and never reads pickles", () => {
    expect(Number.isNaN(g.nodes[0].params.nominal_rate.value)).toBe(true);
    expect(g.nodes[1].params.stop_atten.value).toBe(Infinity);
    expect(g.nodes[1].params.frequencies).toEqual({ customized: true, type: 'ListPort', value: [8, 9, 13, 14] });
  });
  it('accepts the compact one-line G3 patch and insertion-ordered attributes', () => {
    const compact = `<?xml version='1.0' encoding='utf-8'?>
<scheme version="2.0" title="t" description=""><nodes><node id="0" name="IIR Filter" qualified_name="widgets.signal_processing.owiirfilter.OWIIRFilter" project_name="NeuroPype" version="1.5.1" title="FIR Filter&#10;[[0.5, 1, 40, 45] Hz bandpass -50dB]" uuid="b4ec7900-456d-40d1-a0ec-de5824f946a4" position="(1, 2)" /></nodes><links /><annotations /><thumbnail /><node_properties /><patch>{"edges": [], "nodes": {"node1": {"class": "IIRFilter", "module": "neuropype.nodes.signal_processing.IIRFilter", "params": {}, "uuid": "b4ec7900-456d-40d1-a0ec-de5824f946a4"}}, "version": 1.1}</patch></scheme>`;
    const c = parsePyp(compact);
    expect(c.nodes[0].title).toBe('FIR Filter\n[[0.5, 1, 40, 45] Hz bandpass -50dB]');
    // 2018 files have no description: defaults apply.
    expect(c.description.name).toBe('(untitled)');
  });
  it('ignores unknown elements such as <bookmarks> before <nodes>, a BOM and CRLF line ends', () => {
    const text = '\uFEFF' + G2_FILE.replace('<scheme description', '<scheme  description').replace('\t<nodes>', '\t<bookmarks><bookmark x="null" y="null" /></bookmarks>\n\t<nodes>').replace(/\n/g, '\r\n');
    const g = parsePyp(text);
    expect(g.nodes.map((n) => n.class)).toEqual(['LSLInput', 'IIRFilter', 'ParameterPort']);
    expect(g.description.description).toBe('Alpha band\npower');
  });
  it('accepts a bare patch (JSON object with nodes keyed nodeK)', () => {
    const bare = JSON.stringify({ nodes: { node1: { class: 'IIRFilter', params: { order: { customized: true, type: 'IntPort', value: 4 } } } }, edges: [] });
    const r = readPipelineText(bare);
    expect(r.kind).toBe('pyp');
    if (r.kind === 'pyp') expect(r.graph.nodes[0].params.order.value).toBe(4);
  });
});

describe('parsePyp (variant A: empty <patch/>)', () => {
  const g = parsePyp(VARIANT_A);
  it('takes classes from qualified_name and parameters from literal properties', () => {
    expect(g.nodes.map((n) => [n.index, n.class, n.module])).toEqual([
      [1, 'ImportXDF', 'neuropype.nodes.file_system.ImportXDF'],
      [2, 'Segmentation', 'neuropype.nodes.formatting.Segmentation'],
      [3, 'ConstantString', 'neuropype.nodes.programming.ConstantString'],
    ]);
    expect(g.nodes[0].params.filename.value).toBe('C:/data/run1.xdf');
    expect(g.nodes[0].params.retain_streams).toEqual({ customized: false, type: 'Port', value: null });
    expect(g.nodes[0].params.savedWidgetGeometry).toBeUndefined();
    expect(g.nodes[1].params.time_bounds.value).toEqual([-0.2, 0.8]);
    expect(g.nodes[2].params.data.value).toBe("it's");
  });
  it('skips disabled links and maps display names to engine port names', () => {
    expect(g.edges).toEqual([
      { source: 1, sourcePort: 'data', target: 2, targetPort: 'data' },
      { source: 3, sourcePort: 'data', target: 2, targetPort: 'time_bounds' },
    ]);
  });
  it('reads pickled settings (protocols 3 and 4, PyQt4 and PyQt5 geometry) to the values CPython unpickles', () => {
    // tests/formats/pickles.py wrote the file and the expected values (CPython's pickle.loads).
    const dir = new URL('../../../tests/formats/', import.meta.url);
    const expected = (JSON.parse(readFileSync(new URL('pickles.json', dir), 'utf8')) as { variantA: { params: Record<string, unknown>[] } }).variantA.params;
    const g = parsePyp(readFileSync(new URL('variant-a-pickles.pyp', dir), 'utf8'), 'variant-a-pickles.pyp');
    expect(g.nodes.map((n) => n.class)).toEqual(['IIRFilter', 'Segmentation', 'AssignTargets']);
    expect(g.nodes.map((n) => Object.fromEntries(Object.entries(n.params).map(([k, p]) => [k, p.value])))).toEqual(expected);
    expect(g.nodes[0].params.order).toEqual({ customized: false, type: 'Port', value: null });
    expect(g.nodes[0].params.savedWidgetGeometry).toBeUndefined();
    expect(g.edges).toEqual([
      { source: 1, sourcePort: 'data', target: 2, targetPort: 'data' },
      { source: 2, sourcePort: 'data', target: 3, targetPort: 'data' },
    ]);
  });
  it('refuses a pickle naming another global, saying which node and which global', () => {
    // pickle.dumps({'a': os.system}, 3) in spirit: GLOBAL posix.system inside the settings dict.
    const evil = btoa(String.fromCharCode(0x80, 3, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x63, ...Buffer.from('posix\nsystem\n'), 0x73, 0x2e));
    const pickled = VARIANT_A.replace(`<properties node_id="1" format="literal">{'time_bounds': [-0.2, 0.8], 'verbose': False, 'savedWidgetGeometry': None}`, `<properties node_id="1" format="pickle">${evil}`);
    expect(() => parsePyp(pickled, 'x.pyp')).toThrow(/^x\.pyp <node id="1"> \(Segmentation\) pickled properties: the pickle refers to posix\.system, which is never loaded here/);
    expect(() => parsePyp(VARIANT_A.replace(`<properties node_id="0" format="literal">`, `<properties node_id="0" format="pickle">`))).toThrow(/not valid base64/);
  });
});

describe('bad input', () => {
  it.each([
    ['unclosed element', '<scheme version="2.0"><nodes>', /unclosed element <nodes>/],
    ['mismatched tag', '<scheme><nodes></links></scheme>', /does not match/],
    ['wrong root', '<html></html>', /expected <scheme>/],
    ['broken patch JSON', '<scheme><patch>{"nodes": {</patch></scheme>', /<patch>.*line 1/],
    ['edge to a missing node', '<scheme><patch>{"nodes": {"node1": {"class": "A"}}, "edges": [["node1","data","node9","data"]]}</patch></scheme>', /node9/],
    ['bad node key', '<scheme><patch>{"nodes": {"first": {"class": "A"}}}</patch></scheme>', /node1, node2/],
    ['not a pipeline', 'hello', /not a pipeline/],
    ['unknown entity', '<scheme title="&bogus;"/>', /unknown XML entity/],
  ])('%s → InputError', (_what, text, msg) => {
    expect(() => readPipelineText(text, 'f.pyp')).toThrow(InputError);
    expect(() => readPipelineText(text, 'f.pyp')).toThrow(msg);
  });
  it('recognises encrypted pipelines', () => {
    const fernet = 'gAAAAABl' + 'x'.repeat(120);
    expect(() => readPipelineText(fernet)).toThrow(EncryptedPipelineError);
    expect(() => readPipelineText('<scheme encrypted="true"><patch>abc</patch></scheme>')).toThrow(EncryptedPipelineError);
    expect(() => readPipelineText('{"encrypted": true, "ciphertext": "…"}')).toThrow(EncryptedPipelineError);
  });
  it('does not recurse without bound on deeply nested XML', () => {
    expect(() => readPipelineText('<scheme>' + '<a>'.repeat(10_000))).toThrow(/nested deeper/);
  });
});

describe('parsePythonLiteral', () => {
  it('reads what Python repr() writes', () => {
    // repr({'a': [1, 2.5, -3e-05], 'b': (True, False, None), 'c': 'x\'y', "d": {'n': 'line\n'}})
    const text = `{'a': [1, 2.5, -3e-05], 'b': (True, False, None), 'c': "x'y", 'd': {'n': 'line\\n'}}`;
    expect(parsePythonLiteral(text, 't')).toEqual({ a: [1, 2.5, -3e-5], b: [true, false, null], c: "x'y", d: { n: 'line\n' } });
  });
  it('rejects names and calls (never evaluates anything)', () => {
    expect(() => parsePythonLiteral("{'g': QByteArray(b'')}", 't')).toThrow(InputError);
    expect(() => parsePythonLiteral('__import__("os")', 't')).toThrow(InputError);
  });
});

// Formats restate the engine's document type (they import nothing from the engine): both directions must assign.
const toShape = (d: PipelineDocument): PipelineDocumentShape => d;
const toEngine = (d: PipelineDocumentShape): PipelineDocument => d;

describe('pypToPipeline', () => {
  it('writes documents the engine accepts as they are', () => {
    expect(toEngine(toShape(parsePipelineDocument({ nodes: [] }))).format).toBe(PIPELINE_FORMAT);
    const { doc } = pypToPipeline(parsePyp(G2_FILE), resolver);
    expect(doc.format).toBe(PIPELINE_FORMAT);
    expect(doc.version).toBe(PIPELINE_VERSION);
    expect(parsePipelineDocument(JSON.parse(JSON.stringify(doc)))).toEqual(JSON.parse(JSON.stringify(doc)));
  });
  it('maps classes and parameters through the resolver (aliases, null = default, unknown dropped with a warning)', () => {
    const { doc, warnings } = pypToPipeline(parsePyp(G2_FILE), resolver);
    expect(doc.format).toBe('neurotab.pipeline');
    expect(doc.meta.name).toBe('alpha');
    expect(doc.nodes.map((n) => [n.id, n.type])).toEqual([
      ['node1', 'io.stream-input'],
      ['node2', 'filter.iir'],
      ['node3', 'workflow.parameter-port'],
    ]);
    expect(doc.nodes[1].params).toEqual({ frequencies: [8, 9, 13, 14], stop_atten: Infinity });
    expect(doc.nodes[2].params).toEqual({ internal_name: 'band', value: [7, 8, 12, 13] });
    expect(doc.edges[1]).toEqual({ source: 'node3', sourcePort: 'value', target: 'node2', targetPort: 'frequencies' });
    expect(warnings).toEqual(['IIRFilter (node 2): parameter "set_breakpoint" is not supported and was ignored']);
    expect((doc.ui?.positions as Record<string, unknown>).node2).toEqual({ x: 312, y: -40 });
  });
  it('lists every unsupported class and converts nothing', () => {
    let err: unknown;
    try {
      pypToPipeline(parsePyp(VARIANT_A), resolver);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedNodeClassError);
    expect((err as UnsupportedNodeClassError).classes).toEqual(['ConstantString', 'ImportXDF', 'Segmentation']);
  });
});

describe('writePyp', () => {
  it('writes the G2 layout: XML ids = patch index − 1, literal node_properties, sorted 4-space patch, version 1.1', () => {
    const text = writePyp(parsePyp(G2_FILE));
    expect(text).toMatch(/^<\?xml version='1.0' encoding='utf-8'\?>\n<scheme /);
    expect(text).toContain('qualified_name="widgets.signal_processing.owiirfilter.OWIIRFilter"');
    expect(text).toContain('<node id="1" name="IIR Filter"');
    expect(text).toContain('version="1.1.0" />');
    expect(text).toContain('<link enabled="true" id="1" sink_channel="Frequencies" sink_node_id="1" source_channel="Value" source_node_id="2" />');
    // Every parameter, null as '(use default)', NaN (no Python literal) the same, inf as 1e309, FloatPort integers as floats.
    expect(text).toContain(
      `<properties format="literal" node_id="1">{'frequencies': [8, 9, 13, 14], 'order': '(use default)', 'savedWidgetGeometry': None, 'set_breakpoint': True, 'stop_atten': 1e309}</properties>`,
    );
    expect(text).toContain(`<properties format="literal" node_id="0">{'metadata': {}, 'nominal_rate': '(use default)', 'query': "type='EEG'", 'savedWidgetGeometry': None}</properties>`);
    expect(text).toMatch(/<patch>\{\n {4}"description": \{\n {8}"description": "Alpha band\\npower",/);
    expect(text).toMatch(/"version": 1\.1\n\}<\/patch>/);
    // Python tokens survive for non-finite numbers.
    expect(text).toContain('"value": NaN');
    expect(text).toContain('"value": Infinity');
  });
  it('round-trips: parse(write(g)) == g for any graph, with indices made dense in index order', () => {
    const ident = fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,12}$/);
    const text = fc.oneof(fc.string(), fc.constantFrom(`it's`, `say "hi"`, `both ' and "`, 'back\\slash', 'line\nbreak\r\ttab', 'ünï ✓ 𝄞', '\x00\x7f'));
    const value = fc.oneof(fc.constant(null), fc.boolean(), fc.double({ noNaN: true }).map((v) => v + 0), text, fc.array(fc.integer(), { maxLength: 4 }), fc.dictionary(text, fc.integer(), { maxKeys: 3 }));
    const node = fc.record({
      class: ident,
      module: ident.map((c) => `neuropype.nodes.signal_processing.${c}`),
      uuid: fc.uuid(),
      title: fc.string(),
      version: fc.constantFrom('1.0.0', '1.5.1'),
      position: fc.record({ x: fc.integer({ min: -2000, max: 2000 }), y: fc.double({ min: -1e4, max: 1e4, noNaN: true }).map((v) => v + 0) }), // -0 is written as 0
      params: fc.dictionary(fc.stringMatching(/^[a-z_]{1,10}$/), fc.record({ customized: fc.boolean(), type: fc.constantFrom('Port', 'IntPort', 'ListPort', 'FloatPort'), value }), { maxKeys: 5 }),
    });
    const graph = fc
      .record({
        description: fc.record({ name: fc.string(), description: fc.string(), url: fc.string(), status: fc.string(), license: fc.string(), version: fc.string() }),
        indices: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 6, maxLength: 6 }),
        count: fc.integer({ min: 1, max: 6 }),
        nodes: fc.array(node, { minLength: 6, maxLength: 6 }),
        edges: fc.array(fc.record({ s: fc.nat(5), sourcePort: fc.constantFrom('data', 'outdata'), t: fc.nat(5), targetPort: fc.constantFrom('data', 'calib_data') }), { maxLength: 5 }),
      })
      .map(({ description, indices, count, nodes, edges }): PypGraph => ({
        description,
        nodes: nodes.slice(0, count).map((n, k) => ({ ...n, index: indices[k] })),
        edges: edges.map((e) => ({ source: indices[e.s % count], sourcePort: e.sourcePort, target: indices[e.t % count], targetPort: e.targetPort })),
      }));
    fc.assert(
      fc.property(graph, (g) => {
        const rank = new Map([...g.nodes].sort((a, b) => a.index - b.index).map((n, k) => [n.index, k + 1]));
        const dense: PypGraph = {
          ...g,
          nodes: g.nodes.map((n) => ({ ...n, index: rank.get(n.index)! })).sort((a, b) => a.index - b.index),
          edges: g.edges.map((e) => ({ ...e, source: rank.get(e.source)!, target: rank.get(e.target)! })),
        };
        const written = writePyp(g);
        const back = parsePyp(written);
        expect(back.description).toEqual(dense.description);
        expect(back.edges).toEqual(dense.edges);
        expect(back.nodes.map(({ name: _n, ...rest }) => rest)).toEqual(dense.nodes);
        // The literal node_properties hold the same values (what the designer shows; variant A reads them).
        const literal = parsePyp(written.replace(/<patch>[\s\S]*<\/patch>/, '<patch />'));
        expect(literal.nodes.map((n) => Object.fromEntries(Object.entries(n.params).map(([k, p]) => [k, p.value])))).toEqual(
          dense.nodes.map((n) => Object.fromEntries(Object.entries(n.params).map(([k, p]) => [k, p.value]))),
        );
      }),
      { numRuns: 150 },
    );
  });
  it('pipelineToPyp keeps uuids, indices and customized flags recorded at import', () => {
    const g = parsePyp(G2_FILE);
    const { doc } = pypToPipeline(g, resolver);
    const back = pipelineToPyp(doc, resolver);
    expect(back.nodes.map((n) => [n.index, n.class, n.uuid])).toEqual(g.nodes.map((n) => [n.index, n.class, n.uuid]));
    expect(back.nodes[2].params).toEqual({ internal_name: { customized: true, type: 'StringPort', value: 'band' }, value: { customized: true, type: 'Port', value: [7, 8, 12, 13] } });
    expect(back.edges).toEqual(g.edges);
  });
});

describe('uiPosition', () => {
  it('accepts {x, y} and [x, y] editor positions and drops anything else', async () => {
    const { uiPosition } = await import('./pyp');
    expect(uiPosition({ x: 1, y: 2 })).toEqual({ x: 1, y: 2 });
    expect(uiPosition([3, 4])).toEqual({ x: 3, y: 4 });
    expect(uiPosition([3])).toBeUndefined();
    expect(uiPosition({ x: 'a', y: 2 })).toBeUndefined();
    expect(uiPosition([Number.NaN, 1])).toBeUndefined();
    expect(uiPosition(null)).toBeUndefined();
  });
});
