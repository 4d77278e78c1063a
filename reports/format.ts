/** Number formatting shared by the HTML report, summary.md and the headline. Deterministic. */

const SI = [
  { f: 1e12, s: 'T' },
  { f: 1e9, s: 'G' },
  { f: 1e6, s: 'M' },
  { f: 1e3, s: 'k' },
];

/** 3 significant digits with an SI prefix: 9001539 → "9.00 M". */
export function fmtSi(x: number | null, unit = ''): string {
  if (x === null || !Number.isFinite(x)) return '–';
  const abs = Math.abs(x);
  for (const { f, s } of SI) if (abs >= f) return `${(x / f).toPrecision(3)} ${s}${unit}`;
  return `${x.toPrecision(3)}${unit ? ' ' + unit : ''}`;
}

/** Bytes in binary units: 73400320 → "70.0 MiB". */
export function fmtBytes(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  const abs = Math.abs(x);
  if (abs >= 1024 ** 3) return `${(x / 1024 ** 3).toPrecision(3)} GiB`;
  if (abs >= 1024 ** 2) return `${(x / 1024 ** 2).toPrecision(3)} MiB`;
  if (abs >= 1024) return `${(x / 1024).toPrecision(3)} KiB`;
  return `${Number(x.toPrecision(3))} B`;
}

/** Nanoseconds in the most readable unit: 1234 → "1.23 µs". */
export function fmtNs(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  const abs = Math.abs(x);
  if (abs >= 1e9) return `${(x / 1e9).toPrecision(3)} s`;
  if (abs >= 1e6) return `${(x / 1e6).toPrecision(3)} ms`;
  if (abs >= 1e3) return `${(x / 1e3).toPrecision(3)} µs`;
  return `${x.toPrecision(3)} ns`;
}

export function fmtMs(x: number | null): string {
  return x === null ? '–' : fmtNs(x * 1e6);
}

export function fmtRatio(x: number): string {
  return `${x.toFixed(2)}×`;
}

export function fmtPercent(share: number | null, digits = 2): string {
  if (share === null || !Number.isFinite(share)) return '–';
  return `${(share * 100).toFixed(digits)}%`;
}

/** A plain number with up to `digits` decimals, trailing zeros dropped: 0.002 → "0.002". */
export function fmtNum(x: number | null, digits = 3): string {
  if (x === null || !Number.isFinite(x)) return '–';
  return String(Number(x.toFixed(digits)));
}
