// The main-thread bridge client's input checks (the relay step itself is tested in api/bridge.spec.ts).
import { describe, expect, it } from 'vitest';
import { parseBridgePort } from './bridge';

describe('parseBridgePort', () => {
  it('takes 1–65535 written in digits, spaces trimmed, and refuses anything else', () => {
    expect(parseBridgePort('6937')).toBe(6937);
    expect(parseBridgePort(' 80 ')).toBe(80);
    for (const bad of [null, undefined, '', '0', '65536', '12a', '-1', '6937.5']) expect(parseBridgePort(bad), String(bad)).toBeNull();
  });
});
