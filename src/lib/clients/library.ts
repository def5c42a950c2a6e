// Page-side owner of the library worker: import files, export recordings as downloads, an fNIRS
// recording's figures (computed in the worker; saved as SVG, PNG or TSV here).
// Main thread only; no Svelte.
import type { ExportFormat, LibraryEvent, LibraryRequest } from '../../../workers/protocol';
import type { FnirsFigures } from '../fnirs/figures';

export interface ImportJob {
  fileName: string;
  phase: 'reading' | 'parsing' | 'writing';
  fraction: number;
}

let worker: Worker | null = null;
let nextJob = 1;
const handlers = new Map<number, (e: LibraryEvent) => void>();

function libraryWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('../../../workers/library.worker.ts', import.meta.url), { type: 'module', name: 'neurotab-library' });
    worker.onmessage = (ev: MessageEvent<LibraryEvent>) => handlers.get(ev.data.jobId)?.(ev.data);
  }
  return worker;
}

function run<T>(make: (jobId: number) => LibraryRequest, onEvent: (e: LibraryEvent, done: (v: T) => void, fail: (e: Error) => void) => void): Promise<T> {
  const jobId = nextJob++;
  return new Promise<T>((resolve, reject) => {
    handlers.set(jobId, (e) =>
      onEvent(
        e,
        (v) => {
          handlers.delete(jobId);
          resolve(v);
        },
        (err) => {
          handlers.delete(jobId);
          reject(err);
        },
      ),
    );
    libraryWorker().postMessage(make(jobId));
  });
}

export interface ImportedFile {
  recordingId: string;
  /** What the reader noted about the file (e.g. a bogus row it skipped), as stored with the recording. */
  notes?: string;
}

/**
 * Imports one file (`companions`: the other files of its dataset, such as an EEGLAB set's .fdt);
 * `onProgress` follows reading, parsing and writing. Resolves with the new recording.
 */
export function importFile(file: File, onProgress: (j: ImportJob) => void, companions: File[] = []): Promise<ImportedFile> {
  return run<ImportedFile>(
    (jobId) => ({ type: 'import', jobId, file, companions }),
    (e, done, fail) => {
      if (e.type === 'progress') onProgress({ fileName: file.name, phase: e.phase, fraction: e.fraction });
      else if (e.type === 'imported') done({ recordingId: e.recordingId, notes: e.notes });
      else if (e.type === 'failed') fail(new Error(e.message));
    },
  );
}

/** Writes a recording in `format` and downloads the file(s). */
export function exportRecording(recordingId: string, name: string, format: ExportFormat): Promise<string[]> {
  const stem = name.replace(/\.[a-z0-9]+$/i, '').replace(/[^\w.-]+/g, '_') || 'recording';
  const fileName = format === 'zip' ? `${stem}_bids.zip` : `${stem}.${format}`;
  return run<string[]>(
    (jobId) => ({ type: 'export', jobId, recordingId, format, fileName }),
    (e, done, fail) => {
      if (e.type === 'exported') {
        for (const f of e.files) download(f.fileName, f.bytes);
        done(e.files.map((f) => f.fileName));
      } else if (e.type === 'failed') fail(new Error(e.message));
    },
  );
}

/** An fNIRS recording's quality, block-average and GLM figures and tables, computed in the library worker. */
export function fnirsRecordingFigures(recordingId: string): Promise<FnirsFigures> {
  return run<FnirsFigures>(
    (jobId) => ({ type: 'fnirs-figures', jobId, recordingId }),
    (e, done, fail) => {
      if (e.type === 'fnirs-figures') done(e.figures);
      else if (e.type === 'failed') fail(new Error(e.message));
    },
  );
}

/** Saves text (an SVG or TSV) as a download. */
export function downloadText(fileName: string, text: string): void {
  download(fileName, new TextEncoder().encode(text));
}

/** Rasterises an SVG document (its own width × height, at `scale`) and downloads it as PNG. */
export async function downloadSvgAsPng(fileName: string, svg: string, scale = 2): Promise<void> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth * scale;
    canvas.height = img.naturalHeight * scale;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas to draw the PNG');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((ok) => canvas.toBlob(ok, 'image/png'));
    if (!blob) throw new Error('the browser could not encode the PNG');
    download(fileName, new Uint8Array(await blob.arrayBuffer()));
  } finally {
    URL.revokeObjectURL(url);
  }
}

function download(fileName: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
