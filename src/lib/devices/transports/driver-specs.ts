// Which driver runs a device over a given transport kind (HEGduino differs between serial bytes
// and BLE notifications). Runs anywhere (page, io worker, Node). Data wiring only.
import type { DeviceId, TransportKind } from '../descriptor.ts';
import { BLUEBERRY_DRIVER } from '../drivers/blueberry/driver.ts';
import { hegduinoDriver } from '../drivers/hegduino/driver.ts';
import { MUSE_2_DRIVER } from '../drivers/muse-2/driver.ts';
import { MUSE_S_DRIVER } from '../drivers/muse-s/driver.ts';
import { MUSE_S_ATHENA_DRIVER } from '../drivers/muse-s-athena/driver.ts';
import { CYTON_DAISY_DRIVER } from '../drivers/openbci-cyton-daisy/driver.ts';
import { CYTON_DRIVER } from '../drivers/openbci-cyton/driver.ts';
import { GANGLION_DRIVER } from '../drivers/openbci-ganglion/driver.ts';
import type { DriverSpec } from './transport-driver.ts';

/** The driver of a device over a transport kind. */
export function driverSpec(id: DeviceId, kind: TransportKind): DriverSpec {
  switch (id) {
    case 'openbci-cyton':
      return CYTON_DRIVER;
    case 'openbci-cyton-daisy':
      return CYTON_DAISY_DRIVER;
    case 'openbci-ganglion':
      return GANGLION_DRIVER;
    case 'muse-2':
      return MUSE_2_DRIVER;
    case 'muse-s':
      return MUSE_S_DRIVER;
    case 'muse-s-athena':
      return MUSE_S_ATHENA_DRIVER;
    case 'hegduino':
      return hegduinoDriver(kind);
    case 'blueberry':
      return BLUEBERRY_DRIVER;
  }
}
