// The synthetic fNIRS device: a pure, seeded generator of raw two-wavelength intensities with its
// probe and stream descriptor (generator.ts), and its timer-paced driver with task blocks and
// schedules (driver.ts). Runs anywhere; re-exports only.
export { FNIRS_TASK_MARKER, SyntheticFnirsDriver, type SyntheticFnirsDriverOptions, type TaskSchedule } from './driver';
export {
  SYNTHETIC_FNIRS_MAX_RATE_HZ,
  SYNTHETIC_FNIRS_MIN_RATE_HZ,
  SYNTHETIC_FNIRS_STREAM_ID,
  SyntheticFnirsGenerator,
  syntheticFnirsChannels,
  syntheticFnirsProbe,
  syntheticFnirsStreamDescriptor,
  validateSyntheticFnirsSettings,
  type SyntheticFnirsSettings,
} from './generator';
