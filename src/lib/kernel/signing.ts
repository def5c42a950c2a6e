// Signed output URLs and API keys of the Kernel family (API.md §8.1, §8.4 #6), with Web Crypto:
// sig = hex HMAC-SHA256(secret, "<job_id>/<filename>/<expires>"), expires in Unix seconds; keys
// are random and stored only as their SHA-256. Any thread (page, workers, service worker, Node).
// Must not compare secrets with `===` on the hot path: verification is crypto.subtle.verify.

/** Default lifetime of a signed URL (upstream URLs expire too). */
export const SIGNED_URL_SECONDS = 3600;

const enc = new TextEncoder();
const toHex = (b: ArrayBuffer | Uint8Array) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');

function fromHex(h: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(h)) return null;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A fresh app-local signing secret (32 random bytes, hex). */
export function newSecret(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secretHex: string): Promise<CryptoKey> {
  let k = keys.get(secretHex);
  if (!k) {
    const raw = fromHex(secretHex);
    if (!raw || raw.length < 16) throw new Error('the signing secret must be at least 16 bytes of hex');
    k = crypto.subtle.importKey('raw', raw as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secretHex, k);
  }
  return k;
}

const message = (jobId: string, filename: string, expires: number) => enc.encode(`${jobId}/${filename}/${expires}`);

/** The signature of one output link. */
export async function signOutput(secretHex: string, jobId: string, filename: string, expires: number): Promise<string> {
  return toHex(await crypto.subtle.sign('HMAC', await hmacKey(secretHex), message(jobId, filename, expires)));
}

/** 'ok', 'expired' (a genuine link past its time) or 'forged' (wrong signature, or a malformed one). */
export async function checkSignedOutput(secretHex: string, jobId: string, filename: string, expires: string | undefined, sig: string | undefined, nowMs: number): Promise<'ok' | 'expired' | 'forged'> {
  if (!expires || !/^\d{1,12}$/.test(expires) || !sig) return 'forged';
  const raw = fromHex(sig);
  if (!raw || raw.length !== 32) return 'forged';
  const genuine = await crypto.subtle.verify('HMAC', await hmacKey(secretHex), raw as BufferSource, message(jobId, filename, Number(expires)));
  if (!genuine) return 'forged';
  return Number(expires) * 1000 < nowMs ? 'expired' : 'ok';
}

/** A new API key: "ntk_" + 32 random bytes in hex. Shown once; only its hash is kept. */
export function newApiKey(): string {
  return `ntk_${toHex(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** SHA-256 of a key, hex: what the settings keep and what a presented key is compared by. */
export async function apiKeyHash(key: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', enc.encode(key)));
}

/** The key in an Authorization header: the raw key (Kernel's form) or "Bearer <key>". */
export function keyFromAuthorization(header: string | undefined): string | null {
  if (!header) return null;
  const v = header.trim();
  const m = /^Bearer\s+(.+)$/i.exec(v);
  const key = (m ? m[1] : v).trim();
  return key === '' ? null : key;
}
