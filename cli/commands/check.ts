// `neurotab check <pipeline.json|.pyp> [more…] [--json]`: loads each pipeline file, resolves every
// node class and parameter, and type-checks every edge with the static shapes — without running —
// then prints per file OK or every problem (node id, class, what to change). Exit 0 only when every
// file would load. Also the pipeline-file reader `neurotab run` uses.
import { existsSync, readFileSync } from 'node:fs';
import { examplePipelines } from '../../src/lib/clients/pipelines';
import { InputError, errorMessage } from '../../src/lib/core/errors';
import { parsePyp, pypNodeId, pypToPipeline, readPipelineText, resolveType, type PypGraph } from '../../src/lib/formats/pyp';
import { builtinRegistry, Execution, parsePipelineDocument, PipelineError, registryResolver, type NodeRegistry, type PipelineDocument } from '../../src/lib/engine/index';

export const summary = 'check pipelines without running them: check <pipeline.json|.pyp> [more …] [--json]';

const USAGE = 'usage: npm run neurotab -- check <pipeline.json|pipeline.pyp> [more …] [--json]';

export interface CheckProblem {
  /** Our node id ("node3" for NeuroPype's node 3), absent for problems of the whole file. */
  nodeId?: string;
  /** NeuroPype class (from the .pyp) or our type id. */
  class?: string;
  path?: string;
  message: string;
}

export interface CheckResult {
  file: string;
  ok: boolean;
  problems: CheckProblem[];
  warnings: string[];
}

export interface LoadedPipeline {
  doc: PipelineDocument;
  /** Customized NeuroPype parameters our classes lack (dropped). */
  warnings: string[];
  /** NeuroPype class by our node id (.pyp files). */
  classes: Map<string, string>;
}

/** The pipeline's text: a file, or `example:<name>`, one of the app's example pipelines (e.g. `neurotab run example:fnirs-glm …`). */
function readText(path: string): string {
  if (path.startsWith('example:') && !existsSync(path)) {
    const examples = examplePipelines();
    const e = examples.find((x) => x.id === path);
    if (!e) throw new InputError(`no such example pipeline; the examples are ${examples.map((x) => x.id).join(', ')}`, path);
    return JSON.stringify(e.doc);
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the pipeline (${errorMessage(e)})`, path);
  }
}

const isPyp = (path: string, text: string) => /\.pyp$/i.test(path) || text.trimStart().startsWith('<');

/** Reads a pipeline file: our JSON document, or a NeuroPype .pyp converted through the registry's aliases. */
export function readPipelineFile(path: string, registry: NodeRegistry): LoadedPipeline {
  const text = readText(path);
  if (!isPyp(path, text)) return { doc: parsePipelineDocument(text), warnings: [], classes: new Map() };
  const r = readPipelineText(text, path);
  if (r.kind !== 'pyp') throw new InputError('not a NeuroPype .pyp pipeline', path);
  const conv = pypToPipeline(r.graph, registryResolver(registry), path);
  return { doc: parsePipelineDocument(conv.doc), warnings: conv.warnings, classes: classesOf(r.graph) };
}

function classesOf(g: PypGraph): Map<string, string> {
  return new Map(g.nodes.map((n) => [pypNodeId(n.index), n.class]));
}

/** Every problem of one file; a .pyp with classes we lack is also checked without them (nodes they feed left out). */
export function checkPipelineFile(path: string, registry: NodeRegistry = builtinRegistry()): CheckResult {
  const problems: CheckProblem[] = [];
  let warnings: string[] = [];
  try {
    const text = readText(path);
    let loaded: LoadedPipeline;
    if (isPyp(path, text)) {
      const g = parsePyp(text, path);
      const classes = classesOf(g);
      const resolver = registryResolver(registry);
      const missing = g.nodes.filter((n) => resolveType(resolver, n) === undefined);
      for (const n of missing)
        problems.push({ nodeId: pypNodeId(n.index), class: n.class, message: `node class ${n.class} (${n.module}) is not available in this engine; replace or remove the node ("neurotab nodes" lists the classes)` });
      // the rest of the graph, without the missing nodes and whatever they feed (it would only repeat their absence)
      const cut = new Set(missing.map((n) => n.index));
      for (let grew = true; grew; ) {
        grew = false;
        for (const e of g.edges) if (cut.has(e.source) && !cut.has(e.target)) grew = Boolean(cut.add(e.target));
      }
      const rest: PypGraph = { ...g, nodes: g.nodes.filter((n) => !cut.has(n.index)), edges: g.edges.filter((e) => !cut.has(e.source) && !cut.has(e.target)) };
      const conv = pypToPipeline(rest, resolver, path);
      loaded = { doc: parsePipelineDocument(conv.doc), warnings: conv.warnings, classes };
    } else loaded = readPipelineFile(path, registry);
    warnings = loaded.warnings;
    try {
      new Execution(registry).load(loaded.doc);
    } catch (e) {
      if (!(e instanceof PipelineError)) throw e;
      for (const i of e.issues) {
        const type = i.nodeId ? loaded.doc.nodes.find((n) => n.id === i.nodeId)?.type : undefined;
        const cls = i.nodeId ? (loaded.classes.get(i.nodeId) ?? (type ? (registry.find(type)?.neuropype?.class ?? type) : undefined)) : undefined;
        problems.push({ ...(i.nodeId ? { nodeId: i.nodeId } : {}), ...(cls ? { class: cls } : {}), path: i.path, message: i.message });
      }
    }
  } catch (e) {
    if (e instanceof PipelineError) for (const i of e.issues) problems.push({ ...(i.nodeId ? { nodeId: i.nodeId } : {}), path: i.path, message: i.message });
    else problems.push({ message: errorMessage(e) });
  }
  return { file: path, ok: problems.length === 0, problems, warnings };
}

function formatProblem(p: CheckProblem): string {
  const who = p.nodeId ? `node "${p.nodeId}"${p.class ? ` (${p.class})` : ''}` : '';
  const path = p.path && p.path !== 'edges' ? ` ${p.path}` : '';
  return `${who}${path}${who || path ? ': ' : ''}${p.message}`;
}

export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const files = argv.filter((a) => a !== '--json');
  const bad = files.find((a) => a.startsWith('-'));
  if (bad || !files.length) {
    console.error(`neurotab check: ${bad ? `unknown option "${bad}"` : 'no pipeline file given'}\n${USAGE}`);
    return 2;
  }
  const registry = builtinRegistry();
  const results = files.map((f) => checkPipelineFile(f, registry));
  if (json) console.log(JSON.stringify({ ok: results.every((r) => r.ok), files: results }, null, 1));
  else {
    for (const r of results) {
      console.log(r.ok ? `${r.file}: OK` : `${r.file}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
      for (const p of r.problems) console.log(`  - ${formatProblem(p)}`);
      for (const w of r.warnings) console.log(`  warning: ${w}`);
    }
    if (files.length > 1) console.log(`${results.filter((r) => r.ok).length} of ${results.length} files OK`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}
