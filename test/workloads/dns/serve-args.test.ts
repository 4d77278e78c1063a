import { describe, expect, it } from 'vitest';
import { parseDnsServeArgs, ServeUsageError } from '../../../workloads/dns/serve.js';

describe('npm run serve -- dns: arguments', () => {
  it('parses every flag, with defaults', () => {
    expect(parseDnsServeArgs(['--zone', 'z.zone'])).toEqual({ zoneFile: 'z.zone', port: 5353, address: '127.0.0.1', strategy: 'pooled', maxUdpPayloadBytes: 1232 });
    expect(parseDnsServeArgs(['--zone', 'z', '--port', '0', '--strategy', 'one-big-struct', '--address', '127.0.0.2', '--max-udp', '4096'])).toEqual({
      zoneFile: 'z',
      port: 0,
      address: '127.0.0.2',
      strategy: 'one-big-struct',
      maxUdpPayloadBytes: 4096,
    });
  });

  it('refuses bad usage with a message that says what to do', () => {
    expect(() => parseDnsServeArgs([])).toThrow(/--zone FILE is required/);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--port', '70000'])).toThrow(ServeUsageError);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--max-udp', '100'])).toThrow(/512-65507/);
    expect(() => parseDnsServeArgs(['--zone'])).toThrow(/needs a value/);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--bogus'])).toThrow(/unknown flag --bogus/);
  });
});
