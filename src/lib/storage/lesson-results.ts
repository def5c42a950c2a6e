// A student's lesson results, kept on this device only (IndexedDB, the settings table, one row):
// which lesson, when, and what the run reached (accuracy, time to first prediction). Runs on the page;
// never sent anywhere. A full disk is said in the error, never swallowed.
import type { NeurotabDb } from './db';
import { isQuotaError } from './recordings';
import { StorageError } from '../core/errors';

export interface LessonResult {
  /** The lesson's link payload hash (same lesson, same id), and its title when it ran. */
  lessonId: string;
  title: string;
  finishedAtMs: number;
  accuracy: number | null;
  firstPredictionSeconds: number | null;
}

const KEY = 'lesson-results';
const MAX_RESULTS = 200;

export async function listLessonResults(db: NeurotabDb, lessonId?: string): Promise<LessonResult[]> {
  const all = ((await db.settings.get(KEY))?.value as LessonResult[] | undefined) ?? [];
  return lessonId ? all.filter((r) => r.lessonId === lessonId) : all;
}

export async function saveLessonResult(db: NeurotabDb, result: LessonResult): Promise<void> {
  const all = await listLessonResults(db);
  try {
    await db.settings.put({ key: KEY, value: [...all, result].slice(-MAX_RESULTS) });
  } catch (e) {
    if (isQuotaError(e)) throw new StorageError('storage is full: this result could not be saved on this device. Delete old recordings on the Recordings page, then run the lesson again.', { quota: true });
    throw e;
  }
}

/** A short stable id for a lesson link's payload (SHA-256, first 16 hex digits). */
export async function lessonIdOf(payload: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(payload));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
