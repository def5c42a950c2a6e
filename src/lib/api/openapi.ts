// OpenAPI 3.1 document for every mounted family, generated from the route tables and their zod
// schemas (FamilyRoutes.docs). Runs wherever the router runs; pure (builds a JSON object).
// Must not describe routes that do not exist: the paths come from the registered routes.

import { z, type ZodType } from 'zod';
import type { FamilyRoutes } from './http';

export interface OpenApiFamily {
  /** Tag and title, e.g. "neuropype". */
  family: string;
  title: string;
  mount: string;
  routes: FamilyRoutes;
  /** Example error body of this family (its envelope). */
  errorSchema: Record<string, unknown>;
}

function jsonSchema(s: ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

/** "/np/executions/:id/graph/nodes/:node" → "/np/executions/{id}/graph/nodes/{node}"; `{.+}` patterns too. */
export function openApiPath(pattern: string): string {
  return pattern.replace(/:(\w+)(\{[^}]*\})?/g, (_m, name: string) => `{${name}}`) || '/';
}

export function buildOpenApi(families: OpenApiFamily[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const f of families) {
    for (const { method, pattern, doc } of f.routes.docs) {
      const path = openApiPath(pattern);
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      for (const [name, description] of Object.entries(doc.query ?? {})) params.push({ name, in: 'query', required: false, schema: { type: 'string' }, description } as never);
      const op: Record<string, unknown> = {
        tags: [f.family],
        summary: doc.summary,
        operationId: `${f.family}_${method.toLowerCase()}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
        ...(doc.description ? { description: doc.description } : {}),
        ...(params.length ? { parameters: params } : {}),
      };
      if (doc.body) op.requestBody = { required: false, content: { 'application/json': { schema: jsonSchema(doc.body) } } };
      else if (doc.rawBody) op.requestBody = { required: true, content: { [doc.rawBody.mediaType]: { schema: { type: 'string' } } }, description: doc.rawBody.description };
      const responses: Record<string, unknown> = {
        [String(doc.ok.status)]: {
          description: doc.ok.description,
          ...(doc.ok.schema ? { content: { [doc.ok.mediaType ?? 'application/json']: { schema: jsonSchema(doc.ok.schema) } } } : {}),
        },
      };
      const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: f.errorSchema } } });
      responses['4XX'] = errorResponse(`Error in the ${f.family} envelope; codes: ${[...(doc.errors ?? []), 'BAD_REQUEST', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE'].filter((c, i, a) => a.indexOf(c) === i).join(', ')}`);
      responses['503'] = errorResponse('ENGINE_UNAVAILABLE: no Neurotab tab hosts the engine (Retry-After: 1)');
      op.responses = responses;
      (paths[path] ??= {})[method.toLowerCase()] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Neurotab API',
      version,
      description: `Families: ${families.map((f) => `${f.title} at ${f.mount}`).join('; ')}. Every response has X-Request-Id and Cache-Control: no-store.`,
    },
    tags: families.map((f) => ({ name: f.family, description: `${f.title} (mount ${f.mount})` })),
    paths,
  };
}
