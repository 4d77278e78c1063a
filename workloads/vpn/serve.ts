/**
 * `npm run serve -- vpn …`: our OpenVPN endpoint on 127.0.0.1, in one of two modes.
 * - TLS mode (`--tls --ca CA.pem --cert SERVER.pem --key SERVER.key [--data-ciphers A,B]`): a server
 *   for the real `openvpn` client (`client`, `dev tun`): control channel, AEAD data channel, and the
 *   host at 10.8.0.1 (ICMP, UDP echo on 7, HTTP on 80) — ./tls-server.ts.
 * - Static-key mode (default): the data channel only, for `openvpn --dev null --secret KEY`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMakeableStrategyName, makeStrategy } from '../../allocators/registry.js';
import { formatStaticKey, parseStaticKey, type KeyDirection } from '../../stack/openvpn/static-key.js';
import { VPN_CIPHERS, isVpnCipher, type VpnCipher } from './ciphers.js';
import { VpnUdpEndpoint } from './udp-endpoint.js';
import { TUNNEL_TCP_SEND_BUFFER_BYTES, TUNNEL_TCP_SEND_BUFFER_MAX, TUNNEL_TCP_SEND_BUFFER_MIN } from './tunnel-host.js';
import { VpnTlsServer } from './tls-server.js';
import { AEAD_ALGORITHMS, isAeadAlgorithm, type AeadAlgorithm } from '../../stack/crypto/crypto-backend.js';
import { OPENVPN_CIPHER_NAMES } from '../../stack/openvpn/server-session.js';
import { FlagReader, serveUntilStopped } from '../serve-flags.js';
import { parseTlsCryptV2ServerKey } from '../../stack/openvpn/tls-crypt-v2.js';
import { TLS_HARDENING_HELP, anyTlsHardening, emptyTlsHardeningOptions, readTlsHardeningFlag, tlsHardeningStatus, type TlsHardeningOptions } from './tls-serve-flags.js';
import { chooseServeUdp, isServeUdpName, SERVE_UDP_NAMES, type ServeUdpName } from './native-udp.js';
import { chooseServeCrypto, isServeCryptoName, SERVE_CRYPTO_NAMES, type ServeCryptoName } from './serve-crypto.js';

export class VpnServeUsageError extends Error {
  readonly code = 'E_SERVE_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'VpnServeUsageError';
  }
}

export const VPN_SERVE_HELP = `usage: npm run serve -- vpn --tls --ca CA.pem --cert SERVER.pem --key SERVER.key [--port 1194] [--strategy pooled] [--data-ciphers A,B] [--crypto node|native] [--udp native|dgram] [--tcp-send-buffer BYTES] [--seconds N]
       npm run serve -- vpn [--port 1194] [--remote-port N] [--secret KEYFILE] [--cipher aes-256-cbc-hmac] [--direction 0|1] [--strategy pooled] [--crypto node|native] [--ping-ms 1000] [--seconds N]
 TLS mode (an OpenVPN 2.6 server for the real openvpn client with dev tun; pushes 10.8.0.2/24,
 hosts 10.8.0.1: ICMP echo, UDP echo on 7, HTTP on 80 with GET /bytes/N):
  --tls             TLS mode (needs --ca, --cert, --key)
  --ca FILE         CA certificate(s), PEM: client certificates must chain to one of them
  --cert FILE       server certificate (chain), PEM, leaf first
  --key FILE        server private key, PEM (ECDSA P-256, Ed25519 or RSA)
  --data-ciphers L  comma- or colon-separated, our preference order (default AES-256-GCM,AES-128-GCM,CHACHA20-POLY1305)
  --tls-crypt FILE  a --tls-crypt (v1) key (openvpn --genkey tls-crypt FILE): control packets must
                    authenticate under it; the client needs the same key (tls-crypt FILE)
  --key-derivation K  auto (TLS-EKM when the client offers it, else the OpenVPN PRF; default) or
                    openvpn-prf (always the PRF: exercises the path of clients without TLS-EKM)
${TLS_HARDENING_HELP}
 Static-key mode (the data channel only, for openvpn --dev null --secret KEY):
  --port N          UDP port on 127.0.0.1 (default 1194; 0 = any free port, printed on start)
  --remote-port N   the peer's port on 127.0.0.1 (default: learnt from its first authenticated packet)
  --secret FILE     OpenVPN static key (openvpn --genkey secret FILE); default: a fresh key, path printed
  --cipher C        ${VPN_CIPHERS.join(', ')} (default aes-256-cbc-hmac: the one openvpn --secret speaks)
  --direction D     key direction 0 or 1 as in --secret FILE D (default: bidirectional)
  --strategy S      buffer strategy: uint8array, pooled, one-big-struct, poisoning (default pooled)
  --crypto B        data-channel crypto backend (both modes): native (in-place AEAD addon; the default
                    when built: bash stack/crypto/native/build.sh) or node (node:crypto); printed on start
  --udp P           TLS mode: how datagrams are sent: native (sendto(2) from the strategy's buffer via
                    the same addon; the default when built) or dgram (node's dgram.send, a Buffer copy
                    per datagram); printed on start
  --tcp-send-buffer N  TLS mode: the send buffer of each TCP connection of the host at 10.8.0.1,
                    bytes (default ${TUNNEL_TCP_SEND_BUFFER_BYTES}; ${TUNNEL_TCP_SEND_BUFFER_MIN}–${TUNNEL_TCP_SEND_BUFFER_MAX}): the most a download has in flight
  --ping-ms N       our keepalive interval (default 1000; 0 = none)
  --seconds N       stop after N seconds (default: run until Ctrl-C)
example: npm run serve -- vpn --tls --ca ca.pem --cert server.pem --key server.key --port 1194 &
         openvpn --client --dev tun --proto udp --remote 127.0.0.1 1194 --ca ca.pem --cert client.pem --key client.key \
                 --data-ciphers AES-256-GCM --nobind --tls-version-min 1.3
example: npm run serve -- vpn --port 1195 --remote-port 1194 --secret static.key &
         openvpn --dev null --secret static.key --cipher AES-256-CBC --auth SHA256 --ping 1 --ping-restart 4 \\
                 --proto udp --local 127.0.0.1 --remote 127.0.0.1 --lport 1194 --rport 1195 --verb 4`;

export interface VpnServeOptions {
  /** TLS mode: the three PEM files; null in static-key mode. */
  tls: { caFile: string; certFile: string; keyFile: string; tlsCryptFile: string | null } | null;
  dataCiphers: AeadAlgorithm[];
  keyDerivation: 'auto' | 'openvpn-prf';
  port: number;
  remotePort: number | undefined;
  secretFile: string | null;
  cipher: VpnCipher;
  direction: KeyDirection;
  strategy: string;
  /** `--crypto`; null = the default (native when its addon is built; ./serve-crypto.ts). */
  crypto: ServeCryptoName | null;
  /** `--udp` (TLS mode); null = the default (native when the addon is built; ./native-udp.ts). */
  udp: ServeUdpName | null;
  /** `--tcp-send-buffer` (TLS mode); null = the tunnel host's default. */
  tcpSendBufferBytes: number | null;
  pingMs: number;
  seconds: number | null;
  /** TLS mode: renegotiation limits, --tls-crypt-v2, admission limits (./tls-serve-flags.ts). */
  hardening: TlsHardeningOptions;
}

export function parseVpnServeArgs(argv: readonly string[]): VpnServeOptions | 'help' {
  let tls = false;
  let caFile: string | null = null;
  let certFile: string | null = null;
  let keyFile: string | null = null;
  let tlsCryptFile: string | null = null;
  let staticOnly: string | null = null;
  const o: VpnServeOptions = { tls: null, dataCiphers: [...AEAD_ALGORITHMS], keyDerivation: 'auto', port: 1194, remotePort: undefined, secretFile: null, cipher: 'aes-256-cbc-hmac', direction: 'bidirectional', strategy: 'pooled', crypto: null, udp: null, tcpSendBufferBytes: null, pingMs: 1000, seconds: null, hardening: emptyTlsHardeningOptions() };
  const flags = new FlagReader(argv, VPN_SERVE_HELP, (m) => new VpnServeUsageError(m));
  for (let flag = flags.next(); flag !== undefined; flag = flags.next()) {
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
        o.port = flags.int(0, 65535);
        break;
      case '--tls':
        tls = true;
        break;
      case '--ca':
        caFile = flags.value();
        break;
      case '--cert':
        certFile = flags.value();
        break;
      case '--key':
        keyFile = flags.value();
        break;
      case '--tls-crypt':
        tlsCryptFile = flags.value();
        break;
      case '--data-ciphers':
        o.dataCiphers = parseDataCiphers(flags.value());
        break;
      case '--key-derivation': {
        const k = flags.value();
        if (k !== 'auto' && k !== 'openvpn-prf') throw new VpnServeUsageError(`--key-derivation ${k}: use auto or openvpn-prf`);
        o.keyDerivation = k;
        break;
      }
      case '--remote-port':
        staticOnly = flag;
        o.remotePort = flags.int(1, 65535);
        break;
      case '--secret':
        staticOnly = flag;
        o.secretFile = flags.value();
        break;
      case '--cipher': {
        staticOnly = flag;
        const c = flags.value();
        if (!isVpnCipher(c)) throw new VpnServeUsageError(`--cipher ${c}: use one of ${VPN_CIPHERS.join(', ')}`);
        o.cipher = c;
        break;
      }
      case '--direction': {
        staticOnly = flag;
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
      case '--crypto': {
        const c = flags.value();
        if (!isServeCryptoName(c)) throw new VpnServeUsageError(`--crypto ${c}: use ${SERVE_CRYPTO_NAMES.join(' or ')}`);
        o.crypto = c;
        break;
      }
      case '--udp': {
        const u = flags.value();
        if (!isServeUdpName(u)) throw new VpnServeUsageError(`--udp ${u}: use ${SERVE_UDP_NAMES.join(' or ')}`);
        o.udp = u;
        break;
      }
      case '--tcp-send-buffer':
        o.tcpSendBufferBytes = flags.int(TUNNEL_TCP_SEND_BUFFER_MIN, TUNNEL_TCP_SEND_BUFFER_MAX);
        break;
      case '--ping-ms':
        o.pingMs = flags.int(0, 3_600_000);
        break;
      case '--seconds':
        o.seconds = flags.int(1, 86_400);
        break;
      default:
        if (readTlsHardeningFlag(flag, flags, o.hardening)) break;
        throw new VpnServeUsageError(`unknown flag ${flag}\n${VPN_SERVE_HELP}`);
    }
  }
  if (tls) {
    if (staticOnly !== null) throw new VpnServeUsageError(`${staticOnly} is a static-key flag: TLS mode negotiates its keys and cipher (use --data-ciphers)`);
    if (caFile === null || certFile === null || keyFile === null) throw new VpnServeUsageError(`--tls needs --ca, --cert and --key (PEM files)\n${VPN_SERVE_HELP}`);
    o.tls = { caFile, certFile, keyFile, tlsCryptFile };
    if (tlsCryptFile !== null && o.hardening.tlsCryptV2File !== null) throw new VpnServeUsageError('--tls-crypt and --tls-crypt-v2 exclude each other: give one');
  } else if (caFile !== null || certFile !== null || keyFile !== null || tlsCryptFile !== null || o.udp !== null || o.tcpSendBufferBytes !== null || anyTlsHardening(o.hardening)) {
    throw new VpnServeUsageError('--ca, --cert, --key, --tls-crypt, --tls-crypt-v2, --udp, --tcp-send-buffer, --reneg-*, --tran-window and --max-* belong to TLS mode: add --tls');
  }
  return o;
}

/** `--data-ciphers` in OpenVPN's names (case-insensitive), separated by commas or colons. */
export function parseDataCiphers(list: string): AeadAlgorithm[] {
  const out: AeadAlgorithm[] = [];
  for (const name of list.split(/[,:]/)) {
    const a = name.trim().toLowerCase();
    if (!isAeadAlgorithm(a)) throw new VpnServeUsageError(`--data-ciphers: unknown cipher '${name}': use ${AEAD_ALGORITHMS.map((x) => OPENVPN_CIPHER_NAMES[x]).join(', ')}`);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

export async function main(argv: readonly string[]): Promise<void> {
  const o = parseVpnServeArgs(argv);
  if (o === 'help') {
    console.log(VPN_SERVE_HELP);
    return;
  }
  const crypto = chooseServeCrypto(o.crypto);
  console.log(crypto.banner);
  if (o.tls !== null) return serveTls(o, o.tls, crypto.name);
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
    crypto: crypto.name,
    strategy: makeStrategy(o.strategy),
    port: o.port,
    remotePort: o.remotePort,
    pingIntervalMs: o.pingMs,
  });
  const port = await endpoint.start();
  console.log(`vpn: ${o.cipher} data channel on 127.0.0.1:${port} (strategy ${o.strategy}, crypto ${crypto.name}); peer ${o.remotePort ?? 'learnt from its first packet'}`);
  const report = (): void => {
    const c = endpoint.counters;
    const drops = Object.entries(c).filter(([k, v]) => v > 0 && ['tooShort', 'badOpcode', 'badKeyId', 'badPeerId', 'badTag', 'badHmac', 'badLength', 'badPadding', 'replay'].includes(k));
    console.log(`in ${c.datagramsIn} out ${c.datagramsOut} pings rx ${c.pingsReceived} tx ${c.pingsSent} data ${c.dataPackets} occ ${c.occReceived} drops ${drops.length === 0 ? 'none' : drops.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  };
  await serveUntilStopped(o.seconds, report);
  await endpoint.close();
}

async function serveTls(o: VpnServeOptions, files: NonNullable<VpnServeOptions['tls']>, crypto: ServeCryptoName): Promise<void> {
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new VpnServeUsageError(`${what} ${file}: ${(err as Error).message}`);
    }
  };
  const udp = chooseServeUdp(o.udp);
  console.log(udp.banner);
  const server = new VpnTlsServer({
    udp,
    caPem: read(files.caFile, '--ca'),
    certPem: read(files.certFile, '--cert'),
    keyPem: read(files.keyFile, '--key'),
    strategy: o.strategy,
    crypto,
    dataCiphers: o.dataCiphers,
    keyDerivation: o.keyDerivation,
    ...(files.tlsCryptFile === null ? {} : { tlsCrypt: parseStaticKey(read(files.tlsCryptFile, '--tls-crypt')) }),
    ...(o.hardening.tlsCryptV2File === null ? {} : { tlsCryptV2: parseTlsCryptV2ServerKey(read(o.hardening.tlsCryptV2File, '--tls-crypt-v2')) }),
    renegotiation: o.hardening.renegotiation,
    limits: o.hardening.limits,
    port: o.port,
    ...(o.tcpSendBufferBytes === null ? {} : { tcpSendBufferBytes: o.tcpSendBufferBytes }),
  });
  const port = await server.start();
  console.log(`vpn: OpenVPN TLS server on 127.0.0.1:${port} (strategy ${o.strategy}; crypto ${crypto}; TCP send buffer ${o.tcpSendBufferBytes ?? TUNNEL_TCP_SEND_BUFFER_BYTES} B; data ciphers ${o.dataCiphers.map((a) => OPENVPN_CIPHER_NAMES[a]).join(':')}); pushes 10.8.0.2/24, hosts 10.8.0.1 (ICMP, UDP echo 7, HTTP 80)`);
  const report = (): void => {
    const c = server.counters;
    const d = server.dataStats;
    const h = server.host;
    console.log(
      `sessions started ${c.sessionsStarted} established ${c.sessionsEstablished} renegotiations ${c.renegotiations} closed ${c.sessionsClosed}${server.lastCloseReason !== null ? ` (last: ${server.lastCloseReason})` : ''}; ` +
        `datagrams in ${c.datagramsIn} out ${c.datagramsOut}; inner ${c.innerPackets}; icmp echo ${h.icmp.counters.echoReplies}; http requests ${h.http.requests} bytes ${h.http.bytesServed}; ` +
        `tcp segments out ${h.tcp.counters.sent} retransmitted ${h.tcp.counters.segmentsRetransmitted} (timeouts ${h.tcp.counters.retransmitTimeouts}, fast ${h.tcp.counters.fastRetransmits}); ` +
        `drops tag ${d.badTag} replay ${d.replay} stray data ${c.dataStray} stray control ${c.controlStray} tls-crypt bad ${c.tlsCryptBadTag} replay ${c.tlsCryptReplay}; ` +
        `no buffer ${c.droppedNoBuffer}; udp drained ${server.drainCounters.drained} drain errors ${server.drainCounters.drainErrors} queued to dgram ${server.sender.counters.queuedToDgram} send errors ${server.sender.counters.sendErrors}` +
        tlsHardeningStatus(server),
    );
  };
  await serveUntilStopped(o.seconds, report);
  await server.close();
}
