// NeuraScale authentication and rate limits (API.md §10.1, §10.6): HS256 JWTs minted with the
// app-local secret (claims of the reference implementation: sub, role, type, iat, exp, jti,
// aud "neurascale-api", iss "neurascale-auth"), verified with jose; per-token request counters over
// a sliding hour. Runs wherever the routers run (service worker, API worker, tests); the clock is
// injectable so expiry and limits are tested without waiting.
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { ulid } from './http';
import type { NeuraScaleSettings } from './neurascale-backend';

export const NS_AUDIENCE = 'neurascale-api';
export const NS_ISSUER = 'neurascale-auth';
export const ACCESS_TTL_SECONDS = 1800;
export const REFRESH_TTL_SECONDS = 7 * 24 * 3600;

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface NsClaims {
  sub: string;
  role: string;
  type: 'access' | 'refresh';
}

function keyOf(secret: string): Uint8Array {
  const b64 = secret.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function sign(settings: NeuraScaleSettings, claims: NsClaims, nowS: number, ttlS: number): Promise<string> {
  return new SignJWT({ role: claims.role, type: claims.type })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + ttlS)
    .setJti(ulid(nowS * 1000))
    .setAudience(NS_AUDIENCE)
    .setIssuer(NS_ISSUER)
    .sign(keyOf(settings.secret));
}

export async function mintTokens(settings: NeuraScaleSettings, sub: string, nowMs: number, role = 'user'): Promise<TokenPair> {
  const nowS = Math.floor(nowMs / 1000);
  return {
    access_token: await sign(settings, { sub, role, type: 'access' }, nowS, ACCESS_TTL_SECONDS),
    refresh_token: await sign(settings, { sub, role, type: 'refresh' }, nowS, REFRESH_TTL_SECONDS),
    token_type: 'Bearer',
    expires_in: ACCESS_TTL_SECONDS,
  };
}

/** The token's claims, or the reason it is refused (expired, forged, wrong type …). */
export async function verifyToken(settings: NeuraScaleSettings, token: string, type: 'access' | 'refresh', nowMs: number): Promise<NsClaims | { reason: string }> {
  try {
    const { payload } = await jwtVerify(token, keyOf(settings.secret), { algorithms: ['HS256'], audience: NS_AUDIENCE, issuer: NS_ISSUER, currentDate: new Date(nowMs) });
    if (payload.type !== type) return { reason: `this is a${payload.type === 'access' ? 'n access' : ' refresh'} token; send the ${type} token` };
    if (typeof payload.sub !== 'string') return { reason: 'the token has no subject' };
    return { sub: payload.sub, role: typeof payload.role === 'string' ? payload.role : 'user', type };
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) return { reason: 'the token has expired; refresh it (POST /v2/auth/refresh) or log in again' };
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) return { reason: 'the token signature does not verify (not issued by this app)' };
    if (e instanceof joseErrors.JWTClaimValidationFailed) return { reason: `the token's ${e.claim} claim is not valid here` };
    return { reason: 'the token is malformed; send the access_token from POST /v2/auth/login' };
  }
}

/** Sliding one-hour request counter per token. Memory is bounded by the limit per key. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly clock: () => number) {}

  /** Counts a request; null when allowed, else seconds until the next one is. */
  take(key: string, limitPerHour: number): number | null {
    const now = this.clock();
    const from = now - 3600_000;
    let h = this.hits.get(key);
    if (!h) this.hits.set(key, (h = []));
    while (h.length && h[0] <= from) h.shift();
    if (h.length >= limitPerHour) return Math.max(1, Math.ceil((h[0] - from) / 1000));
    h.push(now);
    if (this.hits.size > 10_000) this.hits.delete(this.hits.keys().next().value!);
    return null;
  }

  /** Requests left for a key now. */
  remaining(key: string, limitPerHour: number): number {
    const from = this.clock() - 3600_000;
    return Math.max(0, limitPerHour - (this.hits.get(key)?.filter((t) => t > from).length ?? 0));
  }
}
