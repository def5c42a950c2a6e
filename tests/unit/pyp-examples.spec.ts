// Every example pipeline (the built-in ones and tests/fixtures/pipelines) written as a NeuroPype
// .pyp, checked structurally against what PYP.md §1 says real (G2) files hold, read back to the
// same document, and — when Debian's python3 is present — read by the designer's own parsers
// (ElementTree, ast.literal_eval, json) through tests/formats/pyp_check.py.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplePipelines, pypResolver, registry } from '../../src/lib/clients/pipelines';
import { validatePipeline } from '../../src/lib/engine/share';
import type { PipelineDocument } from '../../src/lib/engine/index';
import { parsePyp, parsePythonLiteral, pipelineToPyp, pypToPipeline, writePyp } from '../../src/lib/formats/pyp';
import { parseXml, type XmlElement } from '../../src/lib/formats/xml-lite';

const fixtures = new URL('../fixtures/pipelines/', import.meta.url);
const examples: [string, PipelineDocument][] = [
  ...examplePipelines().map((e) => [e.id, e.doc] as [string, PipelineDocument]),
  ...readdirSync(fixtures)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, validatePipeline(JSON.parse(readFileSync(new URL(f, fixtures), 'utf8')), registry)] as [string, PipelineDocument]),
];

/**
 * A document as the engine runs it: node k's class and effective parameters (defaults applied), edges
 * by node position. `defaultTitles`: the widget names a .pyp gives untitled nodes (every node has a
 * title there), which mean "no title of its own".
 */
function effective(doc: PipelineDocument, defaultTitles: (string | undefined)[] = []) {
  const pos = new Map(doc.nodes.map((n, k) => [n.id, k]));
  return {
    meta: { name: doc.meta.name, description: doc.meta.description },
    nodes: doc.nodes.map((n, k) => {
      const cls = registry.get(n.type);
      const title = n.title === defaultTitles[k] ? undefined : n.title;
      return { type: cls.type, title, params: { ...Object.fromEntries(cls.params.map((p) => [p.name, p.default])), ...n.params } };
    }),
    edges: doc.edges.map((e) => ({ ...e, source: pos.get(e.source), target: pos.get(e.target) })),
  };
}

const toPyp = (doc: PipelineDocument) => writePyp(pipelineToPyp(doc, pypResolver));

describe('example pipelines → .pyp → our reader', () => {
  it.each(examples)('%s reads back to the same document', (_id, doc) => {
    const graph = parsePyp(toPyp(doc));
    const back = validatePipeline(pypToPipeline(graph, pypResolver).doc, registry);
    expect(effective(back, graph.nodes.map((n) => n.name))).toEqual(effective(doc));
    // A second save of the imported document writes the same graph (uuids and flags kept).
    expect(parsePyp(toPyp(back))).toEqual(parsePyp(toPyp(back)));
    expect(pipelineToPyp(back, pypResolver)).toEqual(pipelineToPyp(validatePipeline(pypToPipeline(parsePyp(toPyp(back)), pypResolver).doc, registry), pypResolver));
  });
});

const attrNames = (e: XmlElement) => Object.keys(e.attributes);
const sorted = (a: string[]) => [...a].sort();

describe('the written XML has the layout of a real G2 file (PYP.md §1.1–1.6)', () => {
  it.each(examples)('%s', (_id, doc) => {
    const text = toPyp(doc);
    expect(text.startsWith("<?xml version='1.0' encoding='utf-8'?>\n<scheme ")).toBe(true);
    const scheme = parseXml(text);
    expect(scheme.tag).toBe('scheme');
    expect(attrNames(scheme)).toEqual(['description', 'title', 'version']);
    expect(scheme.attributes.version).toBe('2.0');
    expect(scheme.children.map((c) => c.tag)).toEqual(['nodes', 'links', 'annotations', 'thumbnail', 'node_properties', 'patch']);
    const [nodes, links, , , props, patchEl] = scheme.children;
    const patch = JSON.parse(patchEl.text) as { description: Record<string, string>; edges: string[][]; nodes: Record<string, { class: string; module: string; uuid: string; params: Record<string, { customized: boolean; type: string; value: unknown }> }>; version: number };

    // <nodes>: dense ids in written order, alphabetical attributes, the designer's qualified names.
    expect(nodes.children.map((n) => n.attributes.id)).toEqual(doc.nodes.map((_, k) => String(k)));
    for (const n of nodes.children) {
      expect(attrNames(n)).toEqual(['id', 'name', 'position', 'project_name', 'qualified_name', 'title', 'uuid', 'version']);
      expect(n.attributes.project_name).toBe('NeuroPype');
      expect(n.attributes.position).toMatch(/^\(-?[\d.]+(e[-+]?\d+)?, -?[\d.]+(e[-+]?\d+)?\)$/);
      expect(n.attributes.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(n.attributes.version).toMatch(/^\d+\.\d+\.\d+$/);
      const p = patch.nodes[`node${Number(n.attributes.id) + 1}`];
      const m = /^widgets\.(\w+)\.ow([a-z0-9]+)\.OW(\w+)$/.exec(n.attributes.qualified_name);
      expect(m, n.attributes.qualified_name).not.toBeNull();
      expect(m![3]).toBe(p.class);
      expect(m![2]).toBe(p.class.toLowerCase());
      // module neuropype.nodes.<category>.<Class> (or our own neurotab.nodes.<type>): the category matches.
      expect(p.module === `neuropype.nodes.${m![1]}.${p.class}` || (m![1] === 'neurotab' && p.module.startsWith('neurotab.nodes.'))).toBe(true);
      expect(p.uuid).toBe(n.attributes.uuid);
    }
    expect(Object.keys(patch.nodes).sort()).toEqual(doc.nodes.map((_, k) => `node${k + 1}`).sort());

    // <links>: one per patch edge, enabled, with display names (capitalised words) for the engine ports.
    expect(links.children).toHaveLength(patch.edges.length);
    links.children.forEach((l, k) => {
      expect(attrNames(l)).toEqual(['enabled', 'id', 'sink_channel', 'sink_node_id', 'source_channel', 'source_node_id']);
      expect(l.attributes.enabled).toBe('true');
      expect(l.attributes.id).toBe(String(k));
      const [s, sp, t, tp] = patch.edges[k];
      expect(`node${Number(l.attributes.source_node_id) + 1}`).toBe(s);
      expect(`node${Number(l.attributes.sink_node_id) + 1}`).toBe(t);
      for (const [display, port] of [
        [l.attributes.source_channel, sp],
        [l.attributes.sink_channel, tp],
      ]) {
        expect(display).toMatch(/^([A-Z][A-Za-z0-9]*)( [A-Z][A-Za-z0-9]*)*$/);
        expect(display.toLowerCase().replace(/ /g, '_')).toBe(port);
      }
    });

    // <node_properties>: a literal dict per node with every patch parameter, '(use default)' for null, geometry None.
    expect(props.children.map((p) => [p.attributes.format, p.attributes.node_id])).toEqual(doc.nodes.map((_, k) => ['literal', String(k)]));
    for (const p of props.children) {
      const lit = parsePythonLiteral(p.text, 'properties') as Record<string, unknown>;
      const params = patch.nodes[`node${Number(p.attributes.node_id) + 1}`].params;
      expect(Object.keys(lit)).toEqual(sorted([...Object.keys(params), 'savedWidgetGeometry']));
      expect(lit.savedWidgetGeometry).toBeNull();
      for (const [k, v] of Object.entries(params)) expect(lit[k], k).toEqual(v.value === null ? '(use default)' : v.value);
    }
    // <patch>: G2 keys and version; every parameter of the class listed with its port type.
    expect(Object.keys(patch)).toEqual(['description', 'edges', 'nodes', 'version']);
    expect(Object.keys(patch.description)).toEqual(['description', 'license', 'name', 'status', 'url', 'version']);
    expect(patch.version).toBe(1.1);
    doc.nodes.forEach((n, k) => {
      const params = patch.nodes[`node${k + 1}`].params;
      expect(sorted(Object.keys(params))).toEqual(sorted(registry.get(n.type).params.map((p) => p.name)));
      for (const v of Object.values(params)) expect(v.type).toMatch(/^(Bool|String|Float|Int|Enum|List|Dict)?Port$/);
      for (const name of Object.keys(n.params)) expect(params[name].customized, name).toBe(true);
    });
    expect(patchEl.text).toMatch(/^\{\n {4}"description": \{\n {8}"description": /);
  });
});

const python = '/usr/bin/python3';
const hasPython = existsSync(python);
if (!hasPython) console.warn('pyp-examples.spec: /usr/bin/python3 not found — the designer-parser check is SKIPPED (apt-get install python3)');

describe.skipIf(!hasPython)("the designer's parsers (ElementTree, ast.literal_eval, json) read every written file", () => {
  it('reads each example to the graph we wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pyp-'));
    const files = examples.map(([id, doc], k) => {
      const f = join(dir, `example-${k}.pyp`);
      writeFileSync(f, toPyp(doc));
      return { f, id, doc };
    });
    const script = new URL('../formats/pyp_check.py', import.meta.url).pathname;
    const seen = JSON.parse(execFileSync(python, [script, ...files.map((x) => x.f)], { encoding: 'utf8' }).replace(/\bNaN\b/g, 'null').replace(/-?Infinity\b/g, 'null'));
    for (const { f, id } of files) {
      const view = seen[f];
      expect(view.error, id).toBeUndefined();
      const ours = parsePyp(readFileSync(f, 'utf8'));
      expect(view.nodes.map((n: { id: string }) => n.id), id).toEqual(ours.nodes.map((_, k) => String(k)));
      expect(view.nodes.map((n: { position: number[] }) => n.position), id).toEqual(ours.nodes.map((n) => [n.position!.x, n.position!.y]));
      expect(view.links.length, id).toBe(ours.edges.length);
      ours.nodes.forEach((n, k) => {
        const lit = view.properties[k].value as Record<string, unknown>;
        for (const [name, p] of Object.entries(n.params)) {
          const v = p.value === null ? '(use default)' : typeof p.value === 'number' && !Number.isFinite(p.value) ? lit[name] : p.value;
          expect(lit[name], `${id} node ${k} ${name}`).toEqual(v);
        }
        expect(view.patch.nodes[`node${k + 1}`].class).toBe(n.class);
      });
    }
  });
});
