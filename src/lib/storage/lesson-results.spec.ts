import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { NeurotabDb } from './db';
import { lessonIdOf, listLessonResults, saveLessonResult } from './lesson-results';
import { StorageError } from '../core/errors';

const result = (lessonId: string, at: number) => ({ lessonId, title: 'Alpha', finishedAtMs: at, accuracy: 0.9, firstPredictionSeconds: 45 });

describe('lesson results on this device', () => {
  it('keeps results per lesson across reopening the database', async () => {
    const name = `lessons-${Math.random()}`;
    const db = new NeurotabDb(name);
    await saveLessonResult(db, result('a', 1));
    await saveLessonResult(db, result('b', 2));
    await saveLessonResult(db, result('a', 3));
    db.close();
    const again = new NeurotabDb(name);
    expect((await listLessonResults(again, 'a')).map((r) => r.finishedAtMs)).toEqual([1, 3]);
    expect((await listLessonResults(again)).length).toBe(3);
    again.close();
  });

  it('says the disk is full instead of failing silently', async () => {
    const db = new NeurotabDb(`lessons-${Math.random()}`);
    (db.settings as unknown as { put: () => Promise<never> }).put = () => Promise.reject(new DOMException('quota', 'QuotaExceededError'));
    const e = await saveLessonResult(db, result('a', 1)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StorageError);
    expect((e as StorageError).quota).toBe(true);
    expect((e as Error).message).toMatch(/storage is full: this result could not be saved/);
    db.close();
  });

  it('names a lesson by the SHA-256 of its payload', async () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad (FIPS 180-2 example)
    expect(await lessonIdOf('abc')).toBe('ba7816bf8f01cfea');
  });
});
