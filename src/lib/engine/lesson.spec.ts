import { describe, expect, it } from 'vitest';
import { deflateSync } from 'fflate';
import { decodeLessonFragment, encodeLesson, lessonUrl, LESSON_MAX_DOCUMENT_BYTES, missingBrowserSupport, type LessonDocument } from './lesson';
import { toBase64Url } from './share';

const lesson: LessonDocument = {
  format: 'neurotab.lesson',
  version: 1,
  title: 'Alpha waves',
  instructions: '# Eyes closed\nWatch **O1** and **O2**.',
  device: 'synthetic',
  recipe: { kind: 'first-run' },
  steps: ['Watch the signal', 'Calibrate', 'See the prediction'],
};
const raw = (value: unknown) => 'l=' + toBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(value))));

describe('lesson links', () => {
  it('round-trips a lesson through its link', () => {
    const url = lessonUrl(lesson, 'https://lab.example/');
    expect(url).toMatch(/^https:\/\/lab\.example\/lesson#l=[A-Za-z0-9_-]+$/);
    expect(decodeLessonFragment(new URL(url).hash)).toEqual(lesson);
    expect(decodeLessonFragment('#p=abc')).toBeNull();
  });

  it('carries a pipeline recipe, checked by the pipeline schema', () => {
    const pipeline = { format: 'neurotab.pipeline', version: 1, meta: { name: 'band power' }, nodes: [], edges: [] };
    const back = decodeLessonFragment(`l=${encodeLesson({ ...lesson, recipe: { kind: 'pipeline', pipeline } })}`)!;
    expect(back.recipe.kind).toBe('pipeline');
    expect(() => decodeLessonFragment(raw({ ...lesson, recipe: { kind: 'pipeline', pipeline: { format: 'x' } } }))).toThrow(/the lesson's pipeline is not valid/);
  });

  it('refuses a tampered link with a message that says what is wrong', () => {
    const payload = encodeLesson(lesson);
    const mid = Math.floor(payload.length / 2);
    const flipped = payload.slice(0, mid) + (payload[mid] === 'A' ? 'B' : 'A') + payload.slice(mid + 1);
    expect(() => decodeLessonFragment(`l=${flipped}`)).toThrow(/corrupt|cut short|valid JSON|valid lesson/);
    expect(() => decodeLessonFragment(`l=${payload.slice(0, -6)}`)).toThrow(/cut short|corrupt/);
    expect(() => decodeLessonFragment(`l=${payload}!`)).toThrow(/character "!" at position \d+ is not base64url/);
    // Decodes, but is not a lesson this app accepts.
    expect(() => decodeLessonFragment(raw({ ...lesson, device: 'evil-board' }))).toThrow(/^the link does not hold a valid lesson: .*\(at device\)$/);
    expect(() => decodeLessonFragment(raw({ ...lesson, run: 'alert(1)' }))).toThrow(/not hold a valid lesson/);
    expect(() => decodeLessonFragment(raw({ ...lesson, title: '' }))).toThrow(/a lesson needs a title/);
    expect(() => decodeLessonFragment('l=' + toBase64Url(deflateSync(new TextEncoder().encode('{"__proto__": {"x": 1}}'))))).toThrow(/the lesson contains the forbidden key "__proto__"/);
  });

  it('refuses a lesson that inflates past its cap (zip bomb) and builds none that large', () => {
    const bomb = 'l=' + toBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify({ ...lesson, instructions: ' '.repeat(LESSON_MAX_DOCUMENT_BYTES * 4) }))));
    expect(() => decodeLessonFragment(bomb)).toThrow(/the lesson in the link expands to more than 64000 bytes/);
    expect(() => encodeLesson({ ...lesson, instructions: 'x'.repeat(8001) })).toThrow(/not hold a valid lesson/);
  });

  it('says when the browser lacks what the device needs', () => {
    const ios = { serial: false, bluetooth: false, usb: false };
    expect(missingBrowserSupport('muse-2', ios)).toMatch(/Muse.*Web Bluetooth.*does not offer/);
    expect(missingBrowserSupport('muse-2', { ...ios, bluetooth: true })).toBeNull();
    expect(missingBrowserSupport('openbci-cyton', { ...ios, usb: true })).toBeNull();
    expect(missingBrowserSupport('synthetic', ios)).toBeNull();
  });
});
