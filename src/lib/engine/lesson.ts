// Lesson links: a teacher's lesson (title, Markdown instructions, device, a recipe — the guided
// eyes open / closed first run or a pipeline document — and the steps to show) as deflate-compressed
// JSON in a URL fragment (`/lesson#l=<base64url>`), with the pipeline share links' rules and helpers
// (engine/share.ts): untrusted DATA, bounded, never evaluated, validated by a schema. Pure.
import { deflateSync } from 'fflate';
import { z } from 'zod';
import { InputError } from '../core/errors';
import { DEVICE_DESCRIPTORS } from '../devices/drivers/registry';
import { parsePipelineDocument, PipelineError } from './document';
import { fromBase64Url, inflateCapped, parseUntrustedJson, ShareLinkError, toBase64Url } from './share';

export const LESSON_FORMAT = 'neurotab.lesson';
/** Largest lesson accepted (bytes of UTF-8 JSON): a lesson fits a QR code's link, a pipeline may not. */
export const LESSON_MAX_DOCUMENT_BYTES = 64_000;
export const LESSON_MAX_ENCODED_CHARS = Math.ceil((LESSON_MAX_DOCUMENT_BYTES * 1.01 + 1024) * (4 / 3));

/** A lesson link that cannot be opened: the message says what is wrong with it. */
export class LessonLinkError extends InputError {
  override name = 'LessonLinkError';
}

/** Devices a lesson can ask for: the synthetic EEG, or a board the app drives. */
export const LESSON_DEVICES = ['synthetic', ...DEVICE_DESCRIPTORS.map((d) => d.id)] as const;

const lessonSchema = z.strictObject({
  format: z.literal(LESSON_FORMAT),
  version: z.literal(1),
  title: z.string().trim().min(1, 'a lesson needs a title').max(120),
  instructions: z.string().max(8000),
  device: z.enum(LESSON_DEVICES as unknown as [string, ...string[]]),
  recipe: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('first-run') }),
    z.strictObject({ kind: z.literal('pipeline'), pipeline: z.unknown() }),
  ]),
  steps: z.array(z.string().trim().min(1).max(300)).max(20),
});
export type LessonDocument = z.infer<typeof lessonSchema>;

/** Validates a lesson (a pipeline recipe through the pipeline schema); throws LessonLinkError saying what is wrong. */
export function parseLesson(value: unknown): LessonDocument {
  const r = lessonSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? ` (at ${issue.path.join('.')})` : '';
    throw new LessonLinkError(`the link does not hold a valid lesson: ${issue.message}${where}`);
  }
  if (r.data.recipe.kind === 'pipeline') {
    try {
      r.data.recipe.pipeline = parsePipelineDocument(r.data.recipe.pipeline);
    } catch (e) {
      throw new LessonLinkError(`the lesson's pipeline is not valid: ${e instanceof PipelineError ? e.message : (e as Error).message}`);
    }
  }
  return r.data;
}

export function encodeLesson(lesson: LessonDocument): string {
  const doc = parseLesson(lesson);
  const json = new TextEncoder().encode(JSON.stringify(doc));
  if (json.byteLength > LESSON_MAX_DOCUMENT_BYTES) throw new InputError(`the lesson is ${json.byteLength} bytes of JSON; lesson links carry at most ${LESSON_MAX_DOCUMENT_BYTES}. Shorten the instructions or use a smaller pipeline.`);
  return toBase64Url(deflateSync(json, { level: 9 }));
}

/** A full link: `<origin>/lesson#l=…`. */
export function lessonUrl(lesson: LessonDocument, origin: string): string {
  return `${origin.replace(/\/$/, '')}/lesson#l=${encodeLesson(lesson)}`;
}

/** The lesson in a link's fragment ("#l=…" or "l=…"); null when the fragment holds none. Throws LessonLinkError when it is refused. */
export function decodeLessonFragment(fragment: string): LessonDocument | null {
  const params = new URLSearchParams(fragment.replace(/^#/, ''));
  const payload = params.get('l');
  if (payload === null) return null;
  if (payload.length > LESSON_MAX_ENCODED_CHARS) throw new LessonLinkError(`the lesson link is ${payload.length} characters long; at most ${LESSON_MAX_ENCODED_CHARS} are accepted`);
  let value: unknown;
  try {
    const bytes = inflateCapped(fromBase64Url(payload), LESSON_MAX_DOCUMENT_BYTES);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new LessonLinkError('the link is corrupt: its content is not UTF-8 text');
    }
    value = parseUntrustedJson(text);
  } catch (e) {
    // The share helpers' messages speak of a pipeline; this link carries a lesson.
    if (e instanceof ShareLinkError) throw new LessonLinkError(e.message.slice(e.where ? e.where.length + 2 : 0).replace(/\bpipeline\b/g, 'lesson'));
    throw e;
  }
  return parseLesson(value);
}

/** What a device needs from the browser, as words, or null when this browser has it. */
export function missingBrowserSupport(device: string, support: { serial: boolean; bluetooth: boolean; usb: boolean }): string | null {
  if (device === 'synthetic') return null;
  const d = DEVICE_DESCRIPTORS.find((x) => x.id === device);
  if (!d) return `this app does not know the device "${device}"`;
  const ok = d.transports.some((k) => (k === 'serial' ? support.serial : k === 'usb' ? support.usb : support.bluetooth));
  if (ok) return null;
  const names = d.transports.map((k) => (k === 'serial' ? 'Web Serial' : k === 'usb' ? 'WebUSB' : 'Web Bluetooth'));
  return `${d.name} connects over ${names.join(' or ')}, which this browser does not offer (iPhones and iPads, Safari and Firefox have none of them; desktop Chrome or Edge, or Chrome on Android, do)`;
}

export function lessonDeviceName(device: string): string {
  return device === 'synthetic' ? 'Synthetic EEG (no hardware)' : (DEVICE_DESCRIPTORS.find((x) => x.id === device)?.name ?? device);
}
