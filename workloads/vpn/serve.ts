/**
 * `npm run serve -- vpn [--port 1194] [--remote-port N] [--secret KEYFILE] [--cipher aes-256-cbc-hmac]
 * [--direction 0|1] [--strategy pooled] [--ping-ms 1000] [--seconds N]`: our OpenVPN data-channel
 * endpoint on 127.0.0.1, for the real `openvpn --dev null --secret KEY` as its peer.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMakeableStrategyName, makeStrategy } from '../../allocators/registry.js';
import { formatStaticKey, parseStaticKey, type KeyDirection } from '../../stack/openvpn/static-key.js';
import { VPN_CIPHERS, isVpnCipher, type VpnCipher } from './ciphers.js';
import { VpnUdpEndpoint } from './udp-endpoint.js';
import { FlagReader } from '../serve-flags.js';

export class VpnServeUsageError extends Error {
  readonly code = 'E_SERVE_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'VpnServeUsageError';
  }
}

export const VPN_SERVE_HELP = `usage: npm run serve -- vpn [--port 1194] [--remote-port N] [--secret KEYFILE] [--cipher aes-256-cbc-hmac] [--direction 0|1] [--strategy pooled] [--ping-ms 1000] [--seconds N]
  --port N          UDP port on 127.0.0.1 (default 1194; 0 = any free port, printed on start)
  --remote-port N   the peer's port on 127.0.0.1 (default: learnt from its first authenticated packet)
  --secret FILE     OpenVPN static key (openvpn --genkey secret FILE); default: a fresh key, path printed
  --cipher C        ${VPN_CIPHERS.join(', ')} (default aes-256-cbc-hmac: the one openvpn --secret speaks)
  --direction D     key direction 0 or 1 as in --secret FILE D (default: bidirectional)
  --strategy S      buffer strategy: uint8array, pooled, one-big-struct, poisoning (default pooled)
  --ping-ms N       our keepalive interval (default 1000; 0 = none)
  --seconds N       stop after N seconds (default: run until Ctrl-C)
example: npm run serve -- vpn --port 1195 --remote-port 1194 --secret static.key &
         openvpn --dev null --secret static.key --cipher AES-256-CBC --auth SHA256 --ping 1 --ping-restart 4 \\
                 --proto udp --local 127.0.0.1 --remote 127.0.0.1 --lport 1194 --rport 1195 --verb 4`;

export interface VpnServeOptions {
  port: number;
  remotePort: number | undefined;
  secretFile: string | null;
  cipher: VpnCipher;
  direction: KeyDirection;
  strategy: string;
  pingMs: number;
  seconds: number | null;
}

export function parseVpnServeArgs(argv: readonly string[]): VpnServeOptions | 'help' {
  const o: VpnServeOptions = { port: 1194, remotePort: undefined, secretFile: null, cipher: 'aes-256-cbc-hmac', direction: 'bidirectional', strategy: 'pooled', pingMs: 1000, seconds: null };
  const flags = new FlagReader(argv, VPN_SERVE_HELP, (m) => new VpnServeUsageError(m));
  for (let flag = flags.next(); flag !== undefined; flag = flags.next()) {
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
        o.port = flags.int(0, 65535);
        break;
      case '--remote-port':
        o.remotePort = flags.int(1, 65535);
        break;
      case '--secret':
        o.secretFile = flags.value();
        break;
      case '--cipher': {
        const c = flags.value();
        if (!isVpnCipher(c)) throw new VpnServeUsageError(`--cipher ${c}: use one of ${VPN_CIPHERS.join(', ')}`);
        o.cipher = c;
        break;
      }
      case '--direction': {
        const d = flags.int(0, 1);
        o.direction = d === 0 ? 0 : 1;
        break;
      }
      case '--strategy': {
        const st = flags.value();
        if (!isMakeableStrategyName(st)) throw new VpnServeUsageError(`--strategy ${st}: use uint8array, pooled, one-big-struct or poisoning`);
        o.strategy = st;
        break;
      }
      case '--ping-ms':
        o.pingMs = flags.int(0, 3_600_000);
        break;
      case '--seconds':
        o.seconds = flags.int(1, 86_400);
        break;
      default:
        throw new VpnServeUsageError(`unknown flag ${flag}\n${VPN_SERVE_HELP}`);
    }
  }
  return o;
}

export async function main(argv: readonly string[]): Promise<void> {
  const o = parseVpnServeArgs(argv);
  if (o === 'help') {
    console.log(VPN_SERVE_HELP);
    return;
  }
  let secretFile = o.secretFile;
  if (secretFile === null) {
    secretFile = join(mkdtempSync(join(tmpdir(), 'buflab-vpn-')), 'static.key');
    writeFileSync(secretFile, formatStaticKey(randomBytes(256)), { mode: 0o600 });
    console.log(`generated static key: ${secretFile}`);
  }
  const endpoint = new VpnUdpEndpoint({
    key: parseStaticKey(readFileSync(secretFile, 'utf8')),
    direction: o.direction,
    cipher: o.cipher,
    strategy: makeStrategy(o.strategy),
    port: o.port,
    remotePort: o.remotePort,
    pingIntervalMs: o.pingMs,
  });
  const port = await endpoint.start();
  console.log(`vpn: ${o.cipher} data channel on 127.0.0.1:${port} (strategy ${o.strategy}); peer ${o.remotePort ?? 'learnt from its first packet'}`);
  const report = (): void => {
    const c = endpoint.counters;
    const drops = Object.entries(c).filter(([k, v]) => v > 0 && ['tooShort', 'badOpcode', 'badKeyId', 'badPeerId', 'badTag', 'badHmac', 'badLength', 'badPadding', 'replay'].includes(k));
    console.log(`in ${c.datagramsIn} out ${c.datagramsOut} pings rx ${c.pingsReceived} tx ${c.pingsSent} data ${c.dataPackets} occ ${c.occReceived} drops ${drops.length === 0 ? 'none' : drops.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  };
  const status = setInterval(report, 5_000);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (o.seconds !== null) setTimeout(stop, o.seconds * 1000).unref();
  });
  clearInterval(status);
  report();
  await endpoint.close();
}
