export * from './ciphers.js';
export * from './inner-packet.js';
export * from './vpn-tunnel.js';
export * from './udp-endpoint.js';
