/** Human-readable numbers for compare's tables: SI for rates, binary units for bytes, ns→s for time. */
import type { ValueUnit } from '../../contract/metrics.js';

function si(value: number, suffix: string): string {
  const abs = Math.abs(value);
  const steps: Array<[number, string]> = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, prefix] of steps) {
    if (abs >= scale) return `${(value / scale).toPrecision(4)}${prefix}${suffix}`;
  }
  return `${value.toPrecision(4)}${suffix}`;
}

function bytes(value: number): string {
  const abs = Math.abs(value);
  const steps: Array<[number, string]> = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [scale, unit] of steps) {
    if (abs >= scale) return `${(value / scale).toPrecision(4)} ${unit}`;
  }
  return `${Number(value.toPrecision(4))} B`;
}

function duration(ns: number): string {
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${(ns / 1e9).toPrecision(4)} s`;
  if (abs >= 1e6) return `${(ns / 1e6).toPrecision(4)} ms`;
  if (abs >= 1e3) return `${(ns / 1e3).toPrecision(4)} µs`;
  return `${Number(ns.toPrecision(4))} ns`;
}

export function formatValue(value: number, unit: ValueUnit): string {
  switch (unit) {
    case 'ops/s':
      return si(value, ' ops/s');
    case 'bytes/s':
      return `${bytes(value)}/s`;
    case 'ns':
      return duration(value);
    case 'share':
      return `${(value * 100).toPrecision(3)}%`;
    case 'bytes':
      return bytes(value);
    case 'instructions':
      return si(value, ' instr');
    case 'ms':
      return duration(value * 1e6);
    case 'count':
      return String(Number(value.toPrecision(4)));
  }
}

/** A ratio as a signed percentage change: 0.97 → "-3.00%". */
export function formatChange(ratio: number): string {
  const pct = (ratio - 1) * 100;
  const sign = pct > 0 ? '+' : '';
  return `${sign}${pct.toFixed(2)}%`;
}

export function formatP(p: number): string {
  if (p < 0.001) return '<0.001';
  return p.toPrecision(2);
}

export function formatPct(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}
