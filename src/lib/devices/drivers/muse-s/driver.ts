// Muse S (classic protocol): same driver as the Muse 2 (drivers/muse-2/driver.ts).
// Runs on the page; no decoding here.
import { museClassicDriver } from '../muse-2/driver.ts';

export const MUSE_S_DRIVER = museClassicDriver('muse-s');
