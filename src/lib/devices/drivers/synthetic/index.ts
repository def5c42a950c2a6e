// The synthetic EEG device: a seeded generator and its timer-paced driver (see generator.ts, driver.ts).
// Runs anywhere; re-exports only.
export { SyntheticDriver, syntheticStreamDescriptor, SYNTHETIC_STREAM_ID, type FrameSink, type SyntheticDriverOptions, type SyntheticDeviceDescriptor } from './driver';
export {
  SyntheticGenerator,
  validateSyntheticSettings,
  SYNTHETIC_LABELS,
  SYNTHETIC_MAX_CHANNELS,
  SYNTHETIC_MIN_RATE_HZ,
  SYNTHETIC_MAX_RATE_HZ,
  type SyntheticSettings,
} from './generator';
