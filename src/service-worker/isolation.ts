// Cross-origin isolation from the service worker: copies a response and adds COOP/COEP/CORP so the
// page is `crossOriginIsolated` (SharedArrayBuffer) even on a static host that sends no headers
// (documents also get their Content-Security-Policy and nosniff: core/csp.ts).
// Service-worker thread only; pure apart from constructing a Response.

export const ISOLATION_HEADERS: ReadonlyArray<[string, string]> = [
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Embedder-Policy', 'require-corp'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

/** `res` with the isolation headers and `extra` ones (set over what the response had). */
export function withIsolationHeaders(res: Response, extra: ReadonlyArray<[string, string]> = []): Response {
  // Opaque and error responses cannot be re-wrapped; redirects must stay as they are.
  if (res.type === 'opaque' || res.type === 'opaqueredirect' || res.status === 0) return res;
  const headers = new Headers(res.headers);
  for (const [k, v] of [...ISOLATION_HEADERS, ...extra]) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
