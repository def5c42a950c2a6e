// "The live stream": the app's one acquisition (state/acquisition.svelte.ts) while it streams: the
// synthetic device or playback started on the Live page, or the board connected on the Devices page.
// It is what the Live page shows, what pipelines run on and what models are deployed on. Main thread only.
import type { Acquisition } from '../clients/acquisition';
import type { StreamDescriptor } from '../core/stream';
import { acquisition } from './acquisition.svelte';
import { devices } from './devices.svelte';

export interface LiveStream {
  client: Acquisition;
  descriptor: StreamDescriptor;
  /** A device connected on the Devices page (not the synthetic device or playback). */
  fromDevice: boolean;
}

export function liveStream(): LiveStream | null {
  if (acquisition.streaming && acquisition.descriptor) return { client: acquisition.client, descriptor: acquisition.descriptor, fromDevice: false };
  const s = devices.status.state;
  if (devices.active && devices.descriptor && (s === 'streaming' || s === 'reconnecting')) return { client: devices.acq, descriptor: devices.descriptor, fromDevice: true };
  return null;
}
