// h5wasm shared by the HDF5 readers and writers (SNIRF, MATLAB v7.3 / EEGLAB): load the module once,
// detect the signature, and open bytes as a file in h5wasm's in-memory file system. Async; runs in
// the page, workers and Node. Never touches the real disk; every temporary file is removed.
//
// h5wasm: the package's ESM build (`import('h5wasm')`, wasm embedded) exposes `ready` (a promise of
// the Emscripten module, whose `FS` is the in-memory file system) and `File/Group/Dataset`. That
// build runs unchanged in Node 24 and loads ~7× faster there than the `h5wasm/node` build (which
// only adds NODEFS access to the real disk, not needed here), so it is used everywhere.
import { InputError, errorMessage } from '../core/errors';
import { baseName } from './bytes';

export type H5 = typeof import('h5wasm');
export type H5Group = InstanceType<H5['Group']>;
export type H5Dataset = InstanceType<H5['Dataset']>;
export type H5File = InstanceType<H5['File']>;
export type H5Fs = NonNullable<H5['FS']>;

let h5Promise: Promise<{ h5: H5; fs: H5Fs }> | null = null;

/** Load h5wasm once (all readers/writers share it). */
export function loadH5wasm(): Promise<{ h5: H5; fs: H5Fs }> {
  h5Promise ??= import('h5wasm').then(async (h5) => {
    const module = await h5.ready;
    return { h5, fs: (h5.FS ?? module.FS) as H5Fs };
  });
  return h5Promise;
}

let tmpCounter = 0;

/** A fresh path in h5wasm's in-memory file system. */
export function tempH5Path(kind: string, fileName = ''): string {
  return `/neurotab-${kind}-${++tmpCounter}${fileName ? '-' + baseName(fileName).replace(/[^A-Za-z0-9._-]/g, '_') : ''}`;
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when an HDF5 superblock starts at 0 or after a user block of 512, 1024, 2048, … bytes. */
export function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let off = 0; off + 8 <= bytes.length; off = off === 0 ? 512 : off * 2) {
    if (HDF5_MAGIC.every((b, i) => bytes[off + i] === b)) return true;
  }
  return false;
}

/**
 * Open `bytes` as an HDF5 file, run `read` on it, then close and remove it. Failures of h5wasm
 * itself become InputErrors that say the file is corrupt or truncated; InputErrors pass through.
 */
export async function readH5<T>(bytes: Uint8Array, fileName: string, read: (file: H5File, h5: H5) => T): Promise<T> {
  const { h5, fs } = await loadH5wasm();
  const path = tempH5Path('read', fileName);
  fs.writeFile(path, bytes);
  let file: H5File | null = null;
  try {
    try {
      file = new h5.File(path, 'r');
    } catch (e) {
      throw new InputError(`HDF5 structure could not be opened (${errorMessage(e)}): file corrupt or truncated`, fileName);
    }
    try {
      return read(file, h5);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`HDF5 read failed (${errorMessage(e)}): file corrupt or truncated`, fileName);
    }
  } finally {
    try {
      file?.close();
    } catch {
      /* already failed */
    }
    try {
      fs.unlink(path);
    } catch {
      /* not created */
    }
  }
}
