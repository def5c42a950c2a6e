// Identifiers: UUID v7 (time-ordered) for stored entities. Pure; uses crypto.getRandomValues,
// present in browsers, workers, the service worker and Node ≥ 19.

/** A lowercase dashed UUID v7 (RFC 9562): 48-bit ms timestamp, version, random bits. */
export function uuidv7(timeMs: number = Date.now()): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  const t = Math.floor(timeMs);
  // 48-bit big-endian milliseconds.
  for (let i = 5; i >= 0; i--) b[5 - i] = Math.floor(t / 2 ** (8 * i)) & 0xff;
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
