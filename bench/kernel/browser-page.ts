// Page script of bench/kernel.bench.ts (bundled by esbuild, run in Chromium): the same runJob as the
// Node runners, on a recording fetched from the bench server, outputs in memory. Main thread.
import { readRecording } from '../../src/lib/formats/index';
import { MemoryStudyStore } from '../../src/lib/kernel/memory';
import { MemoryOutputStore } from '../../src/lib/kernel/outputs';
import { runJob } from '../../src/lib/kernel/service';

async function runKernelJob(pipeline: string, file: string, repeats: number): Promise<{ ms: number[]; status: string }> {
  const bytes = new Uint8Array(await (await fetch(`/${file}`)).arrayBuffer());
  const studies = new MemoryStudyStore();
  const id = '0187f1c2-a9b4-7c3e-8d2f-5a6b7c8d9e0f';
  studies.addRecording(id, { name: file, kinds: [], createdAtMs: 0, byteSize: bytes.byteLength }, async () => ({ recording: await readRecording(bytes, file), file: { name: file, bytes } }));
  const study = await studies.createStudy({ name: 'bench' });
  await studies.assignDatasets(study.id, [{ recordingId: id }]);
  const ms: number[] = [];
  let status = '';
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const r = await runJob({ id: '0187f1d4-e5f6-7071-8293-a4b5c6d7e8f9', template: pipeline, datasetId: id, params: {} }, { studies, outputs: new MemoryOutputStore() });
    ms.push(performance.now() - t0);
    status = r.status;
  }
  return { ms, status };
}

(globalThis as unknown as { runKernelJob: typeof runKernelJob }).runKernelJob = runKernelJob;
