// Signed output links and API keys: the HMAC against Node's crypto (a peer implementation), expiry,
// forgery (changed job, file, expiry or signature; malformed signatures), and the key header forms.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiKeyHash, checkSignedOutput, keyFromAuthorization, newApiKey, newSecret, signOutput } from './signing';
import { hex32, nameUuid, studyKey, uidOf } from './ids';

describe('signed output links', () => {
  const secret = newSecret();
  const job = '0187f1d4e5f60718293a4b5c6d7e8f90';
  const file = 'qc_eeg.html';
  const now = Date.UTC(2026, 0, 1);
  const exp = Math.floor(now / 1000) + 3600;

  it('signs job/filename/expires with HMAC-SHA256 as Node crypto does', async () => {
    const sig = await signOutput(secret, job, file, exp);
    expect(sig).toBe(createHmac('sha256', Buffer.from(secret, 'hex')).update(`${job}/${file}/${exp}`).digest('hex'));
  });

  it('accepts a genuine link, says expired past its time, forged when anything changed', async () => {
    const sig = await signOutput(secret, job, file, exp);
    expect(await checkSignedOutput(secret, job, file, String(exp), sig, now)).toBe('ok');
    expect(await checkSignedOutput(secret, job, file, String(exp), sig, (exp + 1) * 1000)).toBe('expired');
    expect(await checkSignedOutput(secret, job, 'qc_eeg.json', String(exp), sig, now)).toBe('forged');
    expect(await checkSignedOutput(secret, job.replace('0', '1'), file, String(exp), sig, now)).toBe('forged');
    expect(await checkSignedOutput(secret, job, file, String(exp + 1), sig, now)).toBe('forged');
    expect(await checkSignedOutput(newSecret(), job, file, String(exp), sig, now)).toBe('forged');
    const flipped = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
    expect(await checkSignedOutput(secret, job, file, String(exp), flipped, now)).toBe('forged');
    for (const bad of [undefined, '', 'zz', sig.slice(2), sig + '00'])
      expect(await checkSignedOutput(secret, job, file, String(exp), bad, now)).toBe('forged');
    for (const badExp of [undefined, '', '-1', '1e9', 'soon']) expect(await checkSignedOutput(secret, job, file, badExp, sig, now)).toBe('forged');
  });
});

describe('API keys', () => {
  it('are random, shown once and kept as SHA-256', async () => {
    const a = newApiKey();
    expect(a).toMatch(/^ntk_[0-9a-f]{64}$/);
    expect(newApiKey()).not.toBe(a);
    expect(await apiKeyHash(a)).toBe(createHash('sha256').update(a).digest('hex'));
  });
  it('are read from the raw header (Kernel) or a Bearer header', () => {
    expect(keyFromAuthorization('ntk_abc')).toBe('ntk_abc');
    expect(keyFromAuthorization('Bearer ntk_abc')).toBe('ntk_abc');
    expect(keyFromAuthorization('bearer   ntk_abc ')).toBe('ntk_abc');
    expect(keyFromAuthorization(undefined)).toBeNull();
    expect(keyFromAuthorization('  ')).toBeNull();
  });
});

describe('Kernel ids', () => {
  it('render uids as 32 hex and back; study ids in either form or as an alias', async () => {
    const uid = '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e0f';
    expect(hex32(uid)).toBe('0187f1c2a9b47c3e8d2f5a6b7c8d9e0f');
    expect(uidOf('0187F1C2A9B47C3E8D2F5A6B7C8D9E0F')).toBe(uid);
    expect(uidOf(uid)).toBe(uid);
    expect(uidOf('0187f1c2a9b47c3e8d2f5a6b7c8d9e0')).toBeNull();
    expect(studyKey(uid)).toEqual({ uid });
    expect(studyKey('1234')).toEqual({ alias: '1234' });
    expect(studyKey('../etc')).toBeNull();
    const a = await nameUuid('sub-01/run-1.snirf');
    expect(a).toBe(await nameUuid('sub-01/run-1.snirf'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
