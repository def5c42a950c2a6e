// Test support (Node only) for the Kernel jobs: the SciPy/MNE peer outputs of make-kernel-peers.py, a
// pipeline context that records progress, and a dataset read from shared/data. Never used by app code.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedBytes, sharedPath } from '../support/shared';
import { readRecording } from '../../src/lib/formats/index';
import type { DatasetInput } from '../../src/lib/kernel/model';
import type { PipelineContext } from '../../src/lib/kernel/pipeline';

/** tests/kernel/peers.json. */
export const kernelPeers: any = JSON.parse(readFileSync(new URL('./peers.json', import.meta.url), 'utf8'));

export function testContext(params: Record<string, unknown> = {}): PipelineContext & { steps: [number, string][] } {
  const steps: [number, string][] = [];
  return { jobId: '0187f1d4-e5f6-7071-8293-a4b5c6d7e8f9', params, progress: (f, m) => void steps.push([f, m]), ensureSpace: async () => {}, nowMs: Date.UTC(2026, 0, 1), steps };
}

/** The time-domain fixture (gated histograms, SNIRF dataType 201; make-td-fixture.py) as a dataset. */
export async function tdFixtureDataset(): Promise<DatasetInput> {
  const bytes = new Uint8Array(readFileSync(new URL('./td-gated.snirf', import.meta.url)));
  const name = 'td-gated.snirf';
  return { dataset: { id: '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e0f', studyId: 's', participantId: 'p', name, createdAtMs: 0, kinds: ['fnirs'], byteSize: bytes.byteLength }, recording: await readRecording(bytes, name), file: { name, bytes } };
}

/** A file of shared/data (path relative to it) as a dataset, keeping the original bytes. */
export async function sharedDataset(rel: string): Promise<DatasetInput> {
  const bytes = sharedBytes(`data/${rel}`);
  const name = rel.split('/').pop()!;
  return {
    dataset: { id: '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e0f', studyId: 's', participantId: 'p', name, createdAtMs: 0, kinds: [], byteSize: bytes.byteLength },
    recording: await readRecording(bytes, name),
    file: { name, bytes },
  };
}

export const utf8Text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A BIDS-style folder (temp dir) of links to shared/data files: [path in the folder, path under shared/data]. */
export function bidsFolder(files: [string, string][]): string {
  const root = mkdtempSync(join(tmpdir(), 'ntk-bids-'));
  writeFileSync(join(root, 'dataset_description.json'), JSON.stringify({ Name: 'Kernel test study', BIDSVersion: '1.9.0' }));
  for (const [rel, shared] of files) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    symlinkSync(sharedPath('data', shared), join(root, rel));
  }
  return root;
}

/** Polls an async condition until it holds (every `intervalMs`), or throws after `timeoutMs` naming `what`. */
export async function eventually(cond: () => Promise<boolean>, o: { timeoutMs: number; intervalMs?: number; what: string }): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() - t0 > o.timeoutMs) throw new Error(`timed out waiting for ${o.what}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 100));
  }
}
