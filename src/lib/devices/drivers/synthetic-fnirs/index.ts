// The synthetic fNIRS device's signal model: a pure, seeded generator of raw two-wavelength
// intensities with its probe and stream descriptor (see generator.ts). Runs anywhere; re-exports only.
// The timer-paced driver and the device-registry entry come with the Live page integration.
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
