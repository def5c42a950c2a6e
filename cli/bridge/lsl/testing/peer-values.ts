// Test support: the values lsl-peer.c pushes and expects (sample i, channel c, per format), so a
// test knows what a liblsl outlet sent without parsing its output. Pure. Must stay in step with
// peer_*() in lsl-peer.c (which is compiled with -ffp-contract=off so the doubles agree).
import type { ChannelFormat } from '../stream-info';

export function peerValue(format: ChannelFormat, i: number, c: number): number | bigint | string {
  switch (format) {
    case 'float32': return Math.fround((((i * 7 + c * 13) % 1000) * 0.25) - 100.5);
    case 'double64': return i + c / 8 + 0.1;
    case 'int8': return ((i + c * 3) % 256) - 128;
    case 'int16': return ((i * 31 + c * 1009) % 65536) - 32768;
    case 'int32': return ((i * 2654435761 + c * 40503) % 4294967296) - 2147483648;
    case 'int64': return BigInt(i) * 9000000000000n - BigInt(c) * 4611686018427387n + BigInt(c);
    case 'string':
      if (c === 1) return `s${i}-c${c}-é→`;
      if (c === 2 && i % 10 === 0) return `s${i}-c${c}-`.padEnd(300, 'x');
      return `s${i}-c${c}`;
  }
}

/** Frame-major values of samples [from, from + n) as lsl-peer pushes them. */
export function peerSamples(format: ChannelFormat, channels: number, from: number, n: number): (number | bigint | string)[] {
  const out: (number | bigint | string)[] = [];
  for (let i = from; i < from + n; i++) for (let c = 0; c < channels; c++) out.push(peerValue(format, i, c));
  return out;
}
