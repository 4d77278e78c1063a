/**
 * Builds the lower stack of one endpoint — Ethernet, IPv4, UDP over a network device — in one place
 * (mirage-tcpip chooses concrete layers at the edge the same way).
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import { EthernetLayer } from '../ethernet/layer.js';
import { Ipv4Layer } from '../ipv4/layer.js';
import type { NetworkDevice } from '../link/device.js';
import { UdpLayer, type UdpLayerOptions } from './layer.js';

export interface UdpStackConfig {
  strategy: BufferStrategy;
  device: NetworkDevice;
  mac: number;
  ip: number;
  /** Static neighbour table: IPv4 address → MAC. */
  neighbours?: ReadonlyArray<readonly [ip: number, mac: number]>;
  udp?: UdpLayerOptions;
}

export interface UdpStack {
  strategy: BufferStrategy;
  ethernet: EthernetLayer;
  ipv4: Ipv4Layer;
  udp: UdpLayer;
}

export function buildUdpStack(config: UdpStackConfig): UdpStack {
  const ethernet = new EthernetLayer(config.strategy, config.mac, config.device);
  const ipv4 = new Ipv4Layer(ethernet, config.ip);
  for (const [ip, mac] of config.neighbours ?? []) ipv4.addNeighbour(ip, mac);
  const udp = new UdpLayer(ipv4, config.udp);
  return { strategy: config.strategy, ethernet, ipv4, udp };
}
