// The Kernel settings of the browser app, in IndexedDB's `settings` table under "kernel": auth on or
// off, the API keys (kept as SHA-256 hashes, with a label and a preview) and the app-local signing
// secret. Any thread with IndexedDB (the Studies page, the API worker). The page sees key hashes only:
// kernelKeySettings never returns the secret.
import type { NeurotabDb } from '../storage/db';
import type { KernelSettings } from './service';
import { apiKeyHash, newApiKey, newSecret } from './signing';

export interface StoredApiKey {
  hash: string;
  label: string;
  createdAtMs: number;
  /** The key's first characters, to tell keys apart (the key itself is shown once). */
  preview: string;
}

interface StoredKernelSettings {
  authEnabled: boolean;
  secretHex: string;
  keys: StoredApiKey[];
}

const KEY = 'kernel';

async function stored(db: NeurotabDb): Promise<StoredKernelSettings> {
  return db.transaction('rw', db.settings, async () => {
    const v = (await db.settings.get(KEY))?.value as StoredKernelSettings | undefined;
    if (v && typeof v.secretHex === 'string') return v;
    const fresh: StoredKernelSettings = { authEnabled: false, secretHex: newSecret(), keys: [] };
    await db.settings.put({ key: KEY, value: fresh });
    return fresh;
  });
}

async function change(db: NeurotabDb, fn: (s: StoredKernelSettings) => StoredKernelSettings): Promise<StoredKernelSettings> {
  const cur = await stored(db);
  const next = fn(cur);
  await db.settings.put({ key: KEY, value: next });
  return next;
}

/** What the settings section shows: auth on/off and the keys (hashes, labels, previews). */
export async function kernelKeySettings(db: NeurotabDb): Promise<{ authEnabled: boolean; keys: StoredApiKey[] }> {
  const s = await stored(db);
  return { authEnabled: s.authEnabled, keys: s.keys };
}

export async function setKernelAuth(db: NeurotabDb, authEnabled: boolean): Promise<void> {
  await change(db, (s) => ({ ...s, authEnabled }));
}

/** A new key: returned once, kept as its hash. */
export async function generateKernelKey(db: NeurotabDb, label: string): Promise<string> {
  const key = newApiKey();
  const hash = await apiKeyHash(key);
  await change(db, (s) => ({ ...s, keys: [...s.keys, { hash, label: label.trim() || 'key', createdAtMs: Date.now(), preview: key.slice(0, 10) }] }));
  return key;
}

export async function revokeKernelKey(db: NeurotabDb, hash: string): Promise<void> {
  await change(db, (s) => ({ ...s, keys: s.keys.filter((k) => k.hash !== hash) }));
}

/** The service's view (the API worker): auth, key hashes and the secret. */
export async function kernelServiceSettings(db: NeurotabDb): Promise<KernelSettings> {
  const s = await stored(db);
  return { authEnabled: s.authEnabled, keyHashes: s.keys.map((k) => k.hash), secretHex: s.secretHex };
}
