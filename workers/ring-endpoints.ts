// Opens the reader or writer side of a RingSource / RingSink inside a worker. Thin wiring over
// streams/ring.ts; the hot paths are the ring's own.
import { Ring, RingReader, RingWriter, TransferRingReader, TransferRingWriter } from '../src/lib/streams/ring';
import type { RingSink, RingSource } from './protocol';

export interface FrameWriter {
  push(samples: Float32Array, timestampsMs: Float64Array, frames: number): number;
  close(): void;
}

export function openSource(src: RingSource): RingReader {
  if (src.kind === 'shared') return new RingReader(Ring.attach(src.buffer), { from: 'now' });
  return new TransferRingReader(src.port, { channels: src.channels, capacityFrames: src.capacityFrames, from: 'now' });
}

export function openSink(sink: RingSink): FrameWriter {
  if (sink.kind === 'shared') return new RingWriter(Ring.attach(sink.buffer));
  const writers = sink.ports.map((p) => new TransferRingWriter(p, { channels: sink.channels }));
  return {
    push(samples, timestampsMs, frames) {
      let n = 0;
      for (const w of writers) n = w.push(samples, timestampsMs, frames);
      return n;
    },
    close() {
      for (const w of writers) w.close();
    },
  };
}
