// SyntheticDriver: the synthetic EEG device with the common driver lifecycle open / start / stop /
// close (devices/descriptor.ts), paced by a timer, timestamped on the shared clock, writing chunks
// into a ring (RingWriter / TransferRingWriter) or a DriverListener (pacing: paced-driver.ts). Runs
// in a worker (io worker), the page or Node. Must not block: each tick generates only the frames that are due.
import type { StreamDescriptor } from '../../../core/stream';
import type { DeviceDescriptor } from '../../descriptor';
import { SyntheticGenerator, validateSyntheticSettings, SYNTHETIC_LABELS, type SyntheticSettings } from './generator';
import { PacedDriver, type FrameSink, type PacingOptions } from './paced-driver';

export type { FrameSink };

export interface SyntheticDriverOptions extends SyntheticSettings, PacingOptions {}

/** Device facts of the synthetic device (same shape as DeviceDescriptor, id 'synthetic'). */
export type SyntheticDeviceDescriptor = Omit<DeviceDescriptor, 'id'> & { id: 'synthetic' };

export const SYNTHETIC_STREAM_ID = 'synthetic.eeg';

/** The stream the driver produces for these settings (known before `start`). */
export function syntheticStreamDescriptor(settings: SyntheticSettings): StreamDescriptor {
  validateSyntheticSettings(settings, 'synthetic');
  return {
    id: SYNTHETIC_STREAM_ID,
    name: 'Synthetic EEG',
    kind: 'eeg',
    sampleRateHz: settings.sampleRateHz,
    channels: SYNTHETIC_LABELS.slice(0, settings.channels).map((label) => ({ label, unit: 'uV', type: 'EEG' })),
  };
}

export class SyntheticDriver extends PacedDriver {
  readonly descriptor: SyntheticDeviceDescriptor;
  readonly stream: StreamDescriptor;
  private readonly settings: SyntheticSettings;
  private generator: SyntheticGenerator | null = null;
  private eyesClosedValue: boolean;

  constructor(options: SyntheticDriverOptions) {
    validateSyntheticSettings(options, 'SyntheticDriver');
    super('SyntheticDriver', SYNTHETIC_STREAM_ID, options.sampleRateHz, options.channels, options);
    this.settings = { ...options };
    this.eyesClosedValue = options.eyesClosed ?? false;
    this.stream = syntheticStreamDescriptor(options);
    this.descriptor = {
      id: 'synthetic',
      name: 'Synthetic EEG',
      manufacturer: 'Neurotab',
      transports: [],
      streams: [this.stream],
      commands: {},
      sources: ['src/lib/devices/drivers/synthetic/generator.ts'],
    };
  }

  get eyesClosed(): boolean {
    return this.eyesClosedValue;
  }

  /** Switch the simulated subject's eyes (alpha on occipital/parietal sites, blinks off) at runtime. */
  setEyesClosed(closed: boolean): void {
    this.eyesClosedValue = closed;
    this.generator?.setEyesClosed(closed);
  }

  protected openGenerator(): void {
    this.generator = new SyntheticGenerator({ ...this.settings, eyesClosed: this.eyesClosedValue });
  }

  protected closeGenerator(): void {
    this.generator = null;
  }

  protected generate(_first: number, frames: number, out: Float32Array): void {
    this.generator!.next(frames, out);
  }
}
