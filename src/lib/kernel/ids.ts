// Kernel identifiers (API.md §3): every stored entity has a dashed UUID; the Kernel family renders it
// as 32 lowercase hex digits without dashes (reversible). Study ids are also accepted dashed, in
// any case, or as an alias (the short digits of the vendor's examples). Pure; any thread.

/** 32 lowercase hex digits: a dataset, participant, job, batch job or execution id on the wire. */
export const HEX32 = /^[0-9a-f]{32}$/;
const DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What a study path segment may hold (API.md §3). */
export const STUDY_ID = /^[0-9A-Za-z-]{1,64}$/;

/** The Kernel rendering of a uid: dashes removed. */
export function hex32(uid: string): string {
  return uid.replace(/-/g, '').toLowerCase();
}

/** The uid a 32-hex or dashed UUID names (lowercase, dashed), or null when it is neither. */
export function uidOf(id: string): string | null {
  const s = id.trim().toLowerCase();
  if (DASHED.test(s)) return s;
  if (!HEX32.test(s)) return null;
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** The lookup key of a study path segment: its uid when it is a UUID in either form, else the alias as given. */
export function studyKey(id: string): { uid: string } | { alias: string } | null {
  if (!STUDY_ID.test(id)) return null;
  const uid = uidOf(id);
  return uid ? { uid } : { alias: id };
}

/**
 * A name-based UUID (version 8, RFC 9562 §5.8) from SHA-256 of `name`: the same name gives the same
 * id on every machine (datasets of a folder served by several `neurotab kernel serve` processes).
 */
export async function nameUuid(name: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(name))).slice(0, 16);
  d[6] = (d[6] & 0x0f) | 0x80;
  d[8] = (d[8] & 0x3f) | 0x80;
  return uidOf(Array.from(d, (b) => b.toString(16).padStart(2, '0')).join(''))!;
}
