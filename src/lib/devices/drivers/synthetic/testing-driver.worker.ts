// worker_threads entry for the synthetic driver test (Node only, never bundled): streams the
// synthetic device into the ring it is given, with the real timer and clock, until told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { Ring, RingWriter } from '../../../streams/ring';
import { SyntheticDriver, type SyntheticDriverOptions } from './driver';

const { buffer, options } = workerData as { buffer: SharedArrayBuffer; options: SyntheticDriverOptions };
const writer = new RingWriter(Ring.attach(buffer));
const driver = new SyntheticDriver(options);
await driver.open();
await driver.start(writer);
parentPort!.postMessage({ type: 'started' });
parentPort!.on('message', async (m: { type: string }) => {
  if (m.type === 'eyes-closed') driver.setEyesClosed(true);
  if (m.type === 'stop') {
    await driver.stop();
    await driver.close();
    writer.close();
    parentPort!.postMessage({ type: 'stopped', framesWritten: driver.framesWritten });
    parentPort!.close();
  }
});
