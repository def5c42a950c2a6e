// Pipeline document v1 (`format: "neurotab.pipeline"`): zod schema, migration by version, and
// error messages that name the node, the field and what is wrong. Pure data; runs anywhere.
// Must not touch runtime objects: the document stays plain JSON (ui positions included).
import { z } from 'zod';
import { InputError } from '../core/errors';

export const PIPELINE_FORMAT = 'neurotab.pipeline';
export const PIPELINE_VERSION = 1;

const nodeId = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'is longer than 100 characters')
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, 'may contain only letters, digits, "_", ".", ":" and "-"');

const portName = z.string().min(1, 'must not be empty').max(100);

export const pipelineNodeSchema = z.object({
  id: nodeId,
  type: z.string().min(1, 'must name a node class (e.g. "filter.iir")'),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Optional user label. */
  title: z.string().optional(),
});

export const pipelineEdgeSchema = z.object({
  source: nodeId,
  sourcePort: portName.default('data'),
  target: nodeId,
  targetPort: portName.default('data'),
});

export const pipelineDocumentSchema = z.object({
  format: z.literal(PIPELINE_FORMAT, { error: `must be "${PIPELINE_FORMAT}"` }),
  version: z.literal(PIPELINE_VERSION, { error: `must be ${PIPELINE_VERSION} after migration` }),
  meta: z
    .object({
      name: z.string().default('(untitled)'),
      description: z.string().default(''),
    })
    .catchall(z.unknown())
    .default({ name: '(untitled)', description: '' }),
  nodes: z.array(pipelineNodeSchema),
  edges: z.array(pipelineEdgeSchema).default([]),
  /** Editor-only (positions …); the engine never reads it. */
  ui: z.record(z.string(), z.unknown()).optional(),
});

export type PipelineNode = z.output<typeof pipelineNodeSchema>;
export type PipelineEdge = z.output<typeof pipelineEdgeSchema>;
export type PipelineDocument = z.output<typeof pipelineDocumentSchema>;
/** What authors write (ports and params may be omitted). */
export type PipelineDocumentInput = z.input<typeof pipelineDocumentSchema>;

export interface PipelineIssue {
  /** JSON path, e.g. "nodes[2].params.frequencies". */
  path: string;
  /** Node the problem belongs to, when there is one. */
  nodeId?: string;
  message: string;
}

/** A pipeline that cannot be loaded; `issues` lists every problem found. */
export class PipelineError extends InputError {
  override name = 'PipelineError';
  readonly issues: PipelineIssue[];
  constructor(issues: PipelineIssue[]) {
    super(issues.map(formatIssue).join('; '));
    this.issues = issues;
  }
}

export function formatIssue(i: PipelineIssue): string {
  const node = i.nodeId !== undefined ? `node "${i.nodeId}"` : '';
  const path = i.path ? `${node ? ` (${i.path})` : i.path}` : '';
  return `${node}${path}: ${i.message}`;
}

/** Migrations from version N to N+1, applied in order. Version 0 = a bare `{nodes, edges}` object. */
const MIGRATIONS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  0: (doc) => ({ ...doc, format: PIPELINE_FORMAT, version: 1 }),
};

/** Brings any known older version up to the current one. Unknown future versions are rejected. */
export function migrateDocument(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  let doc = raw as Record<string, unknown>;
  let version = doc.version === undefined && doc.format === undefined ? 0 : doc.version;
  if (typeof version === 'number' && version > PIPELINE_VERSION)
    throw new PipelineError([{ path: 'version', message: `version ${version} is newer than this engine (${PIPELINE_VERSION}); update Neurotab` }]);
  while (typeof version === 'number' && version < PIPELINE_VERSION && MIGRATIONS[version]) {
    doc = MIGRATIONS[version](doc);
    version = doc.version;
  }
  return doc;
}

function pathText(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

/**
 * Parses and structurally validates a document (JSON text or value). Semantic checks (node types,
 * ports, parameters, cycles) happen in the compiler, which needs the registry.
 */
export function parsePipelineDocument(input: unknown): PipelineDocument {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new PipelineError([{ path: '', message: `not valid JSON (${(e as Error).message})` }]);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new PipelineError([{ path: '', message: 'a pipeline must be a JSON object with "nodes" and "edges"' }]);
  const migrated = migrateDocument(raw);
  const result = pipelineDocumentSchema.safeParse(migrated);
  if (!result.success) {
    const nodes = (migrated as { nodes?: unknown }).nodes;
    throw new PipelineError(
      result.error.issues.map((iss) => {
        let nodeId: string | undefined;
        if (iss.path[0] === 'nodes' && typeof iss.path[1] === 'number' && Array.isArray(nodes)) {
          const id = (nodes[iss.path[1]] as { id?: unknown } | undefined)?.id;
          if (typeof id === 'string') nodeId = id;
        }
        return { path: pathText(iss.path), nodeId, message: iss.message };
      }),
    );
  }
  return result.data;
}

/** A fresh empty document. */
export function emptyPipeline(name = '(untitled)'): PipelineDocument {
  return { format: PIPELINE_FORMAT, version: PIPELINE_VERSION, meta: { name, description: '' }, nodes: [], edges: [] };
}
