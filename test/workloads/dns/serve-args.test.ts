import { describe, expect, it } from 'vitest';
import { parseDnsServeArgs, ServeUsageError } from '../../../workloads/dns/serve.js';

describe('npm run serve -- dns: arguments', () => {
  it('parses every flag, with defaults', () => {
    expect(parseDnsServeArgs(['--zone', 'z.zone'])).toEqual({
      zoneFile: 'z.zone',
      port: 5353,
      address: '127.0.0.1',
      strategy: 'pooled',
      maxUdpPayloadBytes: 1232,
      expose: false,
      sendQueueFrames: 1024,
      rrlPerSecond: 0,
      statusSeconds: 10,
      arenaBytes: 0,
    });
    expect(
      parseDnsServeArgs(['--zone', 'z', '--port', '0', '--strategy', 'one-big-struct', '--address', '127.0.0.2', '--max-udp', '4096', '--send-queue', '64', '--rrl', '100', '--status-seconds', '0', '--arena-bytes', '65536']),
    ).toEqual({
      zoneFile: 'z',
      port: 0,
      address: '127.0.0.2',
      strategy: 'one-big-struct',
      maxUdpPayloadBytes: 4096,
      expose: false,
      sendQueueFrames: 64,
      rrlPerSecond: 100,
      statusSeconds: 0,
      arenaBytes: 65536,
    });
    expect(parseDnsServeArgs(['--zone', 'z', '--address', '0.0.0.0', '--expose'])).toMatchObject({ address: '0.0.0.0', expose: true });
  });

  it('refuses bad usage with a message that says what to do', () => {
    expect(() => parseDnsServeArgs([])).toThrow(/--zone FILE is required/);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--port', '70000'])).toThrow(ServeUsageError);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--max-udp', '100'])).toThrow(/512-65507/);
    expect(() => parseDnsServeArgs(['--zone'])).toThrow(/needs a value/);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--bogus'])).toThrow(/unknown flag --bogus/);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--arena-bytes', '65536'])).toThrow(/--arena-bytes is for --strategy one-big-struct/);
  });

  it('refuses a --max-udp above 4096 (RFC 6891 guidance), naming the reason', () => {
    expect(() => parseDnsServeArgs(['--zone', 'z', '--max-udp', '4097'])).toThrow(/--max-udp 4097: at most 4096 \(RFC 6891 §6\.2\.5\).*fragment.*amplifier/);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--max-udp', '65507'])).toThrow(ServeUsageError);
  });

  it('refuses a non-loopback --address without --expose, saying what it would expose', () => {
    expect(() => parseDnsServeArgs(['--zone', 'z', '--address', '0.0.0.0'])).toThrow(/--address 0\.0\.0\.0 is not loopback: the DNS server would answer anyone.*every interface.*spoofed.*Pass --expose/);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--address', '192.0.2.1'])).toThrow(/that interface/);
    expect(() => parseDnsServeArgs(['--zone', 'z', '--address', 'localhost'])).toThrow(/use an IPv4 address/);
  });
});
