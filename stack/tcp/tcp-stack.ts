/**
 * Builds the lower stack of one endpoint — Ethernet, IPv4, TCP over a network device — in one place
 * (as udp-stack.ts does for UDP).
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import { EthernetLayer } from '../ethernet/layer.js';
import { Ipv4Layer } from '../ipv4/layer.js';
import type { NetworkDevice } from '../link/device.js';
import { TcpLayer, type TcpLayerOptions } from './layer.js';

export interface TcpStackConfig {
  strategy: BufferStrategy;
  device: NetworkDevice;
  mac: number;
  ip: number;
  /** Static neighbour table: IPv4 address → MAC. */
  neighbours?: ReadonlyArray<readonly [ip: number, mac: number]>;
  tcp?: TcpLayerOptions;
}

export interface TcpStack {
  strategy: BufferStrategy;
  ethernet: EthernetLayer;
  ipv4: Ipv4Layer;
  tcp: TcpLayer;
}

export function buildTcpStack(config: TcpStackConfig): TcpStack {
  const ethernet = new EthernetLayer(config.strategy, config.mac, config.device);
  const ipv4 = new Ipv4Layer(ethernet, config.ip);
  for (const [ip, mac] of config.neighbours ?? []) ipv4.addNeighbour(ip, mac);
  const tcp = new TcpLayer(ipv4, config.tcp);
  return { strategy: config.strategy, ethernet, ipv4, tcp };
}
