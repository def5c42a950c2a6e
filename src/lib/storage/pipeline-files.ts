// The files a pipeline's RecordTo*/Export* nodes write, when it runs in the app: the bytes of each
// file are kept while it is written, and an XDF file becomes a recording of the library when its
// node closes it (input ended, close_on_marker, the run stopped). Other formats are written only by
// `neurotab run --out-dir` (told once per file). Engine worker; structurally the engine's FileOutputs
// (storage imports nothing from the engine). Allocates the whole file; not for the acquisition loop.
import { errorMessage } from '../core/errors';
import { concatBytes } from '../formats/bytes';
import { readXdf } from '../formats/xdf';
import type { NeurotabDb, RecordingRow } from './db';
import { importRecording } from './library';

export interface PipelineFileEvents {
  /** A recording was added to the library. */
  saved?(row: RecordingRow, fileName: string): void;
  /** Something the user should know (a file kept nowhere, a save that failed). */
  note(message: string): void;
}

export class LibraryFileOutputs {
  /** Saves under way (tests and shutdown await them). */
  readonly pending: Promise<unknown>[] = [];
  constructor(
    private readonly db: NeurotabDb,
    private readonly events: PipelineFileEvents,
  ) {}

  open(_outputRoot: string, filename: string): { write(bytes: Uint8Array): void; close(): void } {
    const name = filename.replace(/^.*[\\/]/, '');
    const xdf = /\.xdf$/i.test(name);
    if (!xdf) this.events.note(`"${name}" is not kept: in the app only XDF files (RecordToXDF) go to the recordings library; run the pipeline with \`neurotab run … --out-dir DIR\` for the other files`);
    const parts: Uint8Array[] = [];
    let open = true;
    return {
      write: (bytes) => {
        if (open && xdf) parts.push(bytes.slice());
      },
      close: () => {
        if (!open || !xdf) return;
        open = false;
        this.pending.push(this.save(name, concatBytes(parts)));
      },
    };
  }

  private async save(name: string, bytes: Uint8Array): Promise<void> {
    try {
      const data = readXdf(bytes, name);
      if (!data.streams.length) {
        this.events.note(`"${name}" holds no sample stream (${data.markers.length} markers only); not added to the library`);
        return;
      }
      this.events.saved?.(await importRecording(this.db, data, name), name);
    } catch (e) {
      this.events.note(`"${name}" could not be added to the recordings library: ${errorMessage(e)}`);
    }
  }
}
