// Library worker entry: imports recording files into IndexedDB, exports stored recordings to files
// and computes an fNIRS recording's figures, off the main thread so large files never freeze the
// page. Thin: wiring plus messages.
import { readRecording, writeRecordingFiles } from '../src/lib/formats/index';
import { openDb } from '../src/lib/storage/db';
import { importRecording, loadRecordingData, storedBytes } from '../src/lib/storage/library';
import { errorMessage } from '../src/lib/core/errors';
import { IMPORT_LOCK } from '../src/lib/core/locks';
import type { LibraryEvent, LibraryRequest } from './protocol';
import { fnirsFigures } from '../src/lib/fnirs/figures';

const post = (e: LibraryEvent, transfer: Transferable[] = []) => self.postMessage(e, { transfer });

async function handle(m: LibraryRequest): Promise<void> {
  if (m.type === 'import') {
    post({ type: 'progress', jobId: m.jobId, phase: 'reading', fraction: 0 });
    const bytes = new Uint8Array(await m.file.arrayBuffer());
    post({ type: 'progress', jobId: m.jobId, phase: 'parsing', fraction: 0 });
    const companion = async (name: string) => {
      const f = m.companions?.find((c) => c.name === name);
      return f ? new Uint8Array(await f.arrayBuffer()) : undefined;
    };
    const data = await readRecording(bytes, m.file.name, { companion });
    if (data.epochs) {
      throw new Error(
        `"${m.file.name}" holds ${data.epochs.count} epochs, not a continuous recording; the library keeps continuous recordings only. Import the continuous set (before epoching), or use this one in a pipeline (ImportSET, neurotab run).`,
      );
    }
    const need = storedBytes(data);
    const est = await navigator.storage?.estimate?.();
    if (est?.quota !== undefined && est.usage !== undefined && est.quota - est.usage < need * 1.1) {
      throw new Error(`not enough storage: importing "${m.file.name}" needs about ${(need / 1e6).toFixed(1)} MB, ${((est.quota - est.usage) / 1e6).toFixed(1)} MB are free. Delete or export old recordings first.`);
    }
    const write = () => importRecording(openDb(), data, m.file.name, (p) => post({ type: 'progress', jobId: m.jobId, phase: 'writing', fraction: p.framesWritten / Math.max(1, p.framesTotal) }));
    // The shared import lock tells other tabs this "importing" recording is alive.
    const rec = 'locks' in navigator ? await navigator.locks.request(IMPORT_LOCK, { mode: 'shared' }, write) : await write();
    post({ type: 'imported', jobId: m.jobId, recordingId: rec.id, name: rec.name, notes: rec.notes });
  } else if (m.type === 'export') {
    const data = await loadRecordingData(openDb(), m.recordingId);
    const files = await writeRecordingFiles(data, m.fileName);
    post({ type: 'exported', jobId: m.jobId, files }, files.map((f) => f.bytes.buffer as ArrayBuffer));
  } else if (m.type === 'fnirs-figures') {
    post({ type: 'fnirs-figures', jobId: m.jobId, figures: fnirsFigures(await loadRecordingData(openDb(), m.recordingId)) });
  }
}

self.onmessage = (ev: MessageEvent<LibraryRequest>) => {
  handle(ev.data).catch((e) => post({ type: 'failed', jobId: ev.data.jobId, message: errorMessage(e) }));
};
