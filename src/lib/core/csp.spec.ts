// The policy text and its round trip through a page's <meta> (what the service worker and
// `neurotab serve` repeat as a header).
import { describe, expect, it } from 'vitest';
import { CSP_DIRECTIVES, cspText, documentCspHeader, documentSecurityHeaders, metaPolicy } from './csp';

describe('Content-Security-Policy', () => {
  it('writes directives as policy text, keywords quoted, schemes and hosts as they are', () => {
    expect(cspText({ 'script-src': ['self', 'wasm-unsafe-eval', 'sha256-x='], 'connect-src': ['self', 'ws://127.0.0.1:*'], 'img-src': ['data:'] })).toBe(
      "script-src 'self' 'wasm-unsafe-eval' sha256-x=; connect-src 'self' ws://127.0.0.1:*; img-src data:",
    );
    const base = cspText(CSP_DIRECTIVES);
    for (const d of ["script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'"]) expect(base).toContain(d);
    expect(base).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  });

  it("reads a document's <meta> policy (as SvelteKit writes it, or single-quoted and escaped), and nothing else", () => {
    const kit = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-CxJ/t2oukNimLgGIqd0ubqLYD/DsJYg9yPn1aTX9qIM='; object-src 'none'`;
    const page = `<!doctype html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta http-equiv="content-security-policy" content="${kit}"></head>`;
    expect(metaPolicy(page)).toBe(kit);
    expect(metaPolicy(`<META HTTP-EQUIV='Content-Security-Policy' CONTENT='script-src &#39;self&#39;; img-src &quot;x&quot; &amp;'>`)).toBe(`script-src 'self'; img-src "x" &`);
    expect(metaPolicy('<meta name="content-security-policy" content="script-src *"><p>content-security-policy</p>')).toBeNull();
    expect(documentCspHeader(page)).toBe(`${kit}; frame-ancestors 'self'`);
    expect(documentCspHeader('<title>no policy</title>')).toBe(`${cspText(CSP_DIRECTIVES)}; frame-ancestors 'self'`);
    expect(documentSecurityHeaders('')).toContainEqual(['X-Content-Type-Options', 'nosniff']);
  });
});
