// The Content-Security-Policy of Neurotab's documents, in one place: SvelteKit writes it (plus the
// hashes of its own inline scripts) into every built page's <meta>, and the service worker and
// `neurotab serve` send that same policy as a header with what a <meta> cannot carry. Any thread;
// pure. Must not loosen script-src: share links and documents are data, never code.

/**
 * Directives of the pages' <meta> policy. Scripts: this origin only, plus WebAssembly compilation
 * (the IIR/Welch SIMD kernels, TensorFlow.js's wasm backend, h5wasm). Styles may be inline (Svelte
 * and jsPsych set style attributes). The bridge's WebSocket is on 127.0.0.1.
 */
export const CSP_DIRECTIVES = {
  'default-src': ['self'],
  'script-src': ['self', 'wasm-unsafe-eval'],
  'style-src': ['self', 'unsafe-inline'],
  'img-src': ['self', 'data:', 'blob:'],
  'font-src': ['self', 'data:'],
  'connect-src': ['self', 'ws://127.0.0.1:*'],
  'worker-src': ['self'],
  'object-src': ['none'],
  'base-uri': ['none'],
  'form-action': ['self'],
} as const satisfies Record<string, readonly string[]>;

/** Header-only directives (a <meta> policy ignores them): the app may be framed by its own pages only. */
export const CSP_HEADER_DIRECTIVES = { 'frame-ancestors': ['self'] } as const satisfies Record<string, readonly string[]>;

const KEYWORDS = new Set(['self', 'none', 'unsafe-inline', 'unsafe-eval', 'wasm-unsafe-eval', 'strict-dynamic', 'report-sample']);

/** `directives` as policy text ("default-src 'self'; …"), keywords quoted as CSP wants them. */
export function cspText(directives: Record<string, readonly string[]>): string {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources.map((s) => (KEYWORDS.has(s) ? `'${s}'` : s))].join(' '))
    .join('; ');
}

/** The policy a document declares in `<meta http-equiv="content-security-policy">`, or null. */
export function metaPolicy(html: string): string | null {
  for (const tag of html.match(/<meta\b[^>]*>/gi) ?? []) {
    if (!/http-equiv\s*=\s*["']?content-security-policy["']?/i.test(tag)) continue;
    const content = /content\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(tag);
    if (content) return (content[1] ?? content[2]).replace(/&#39;|&apos;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  }
  return null;
}

/**
 * The Content-Security-Policy header for an HTML document: the policy its <meta> declares (with its
 * script hashes), else the pages' base policy; then the header-only directives.
 */
export function documentCspHeader(html: string): string {
  return `${metaPolicy(html) ?? cspText(CSP_DIRECTIVES)}; ${cspText(CSP_HEADER_DIRECTIVES)}`;
}

/** Headers every document response carries besides isolation: its policy and no MIME sniffing. */
export function documentSecurityHeaders(html: string): Array<[string, string]> {
  return [
    ['Content-Security-Policy', documentCspHeader(html)],
    ['X-Content-Type-Options', 'nosniff'],
  ];
}
