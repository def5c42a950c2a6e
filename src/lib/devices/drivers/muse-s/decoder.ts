// Muse S (classic firmware) decoder: the Muse 2 protocol under the `muse-s.*` stream ids.
// Runs in the page and Node; see muse-2/decoder.ts for the layouts and choices.
import { MuseClassicDecoder, type MuseDecoderOptions } from '../muse-2/decoder.ts';

export function createMuseSDecoder(opts: MuseDecoderOptions = {}): MuseClassicDecoder {
  return new MuseClassicDecoder('muse-s', opts);
}
