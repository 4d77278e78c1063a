/**
 * The top allocation sites of a V8 sampling heap profile (`.heapprofile`, the result of
 * HeapProfiler.stopSampling): bytes per operation, share of all sampled bytes, and the call stack,
 * as a text table and as markdown. Frames of compiled files are mapped back to their TypeScript
 * source through the `.js.map` files `tsc` writes beside them, when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';

/** The subset of Chrome DevTools Protocol's `HeapProfiler.SamplingHeapProfile` used here. */
export interface SamplingHeapProfile {
  head: SamplingHeapProfileNode;
  samples?: Array<{ size: number; nodeId: number; ordinal: number }>;
}

export interface SamplingHeapProfileNode {
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  /** Estimated bytes allocated by this exact stack (V8 scales samples to an unbiased estimate). */
  selfSize: number;
  id: number;
  children: SamplingHeapProfileNode[];
}

export interface Frame {
  functionName: string;
  /** Repository-relative file (the TypeScript source when a source map resolves it). */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
}

export interface AllocationSite {
  /** The allocating frame (the innermost JavaScript frame of the stack). */
  site: Frame;
  /** Innermost first, up to `stackDepth` frames (the site included). */
  stack: Frame[];
  bytes: number;
  bytesPerOp: number;
  /** Share of all sampled bytes, 0..1. */
  share: number;
}

export interface HeapTable {
  totalBytes: number;
  totalBytesPerOp: number;
  ops: number;
  sites: AllocationSite[];
}

export interface HeapTableOptions {
  ops: number;
  /** Number of sites kept (default 15). */
  top?: number;
  /** Frames per stack (default 8). */
  stackDepth?: number;
  /** Root of the checkout, for relative file names. */
  repoRoot: string;
}

/**
 * Builds the table: one row per distinct allocating stack (its innermost `stackDepth` frames),
 * heaviest first. Throws when `ops` is not
 * positive (a per-operation figure needs operations).
 */
export function heapTable(profile: SamplingHeapProfile, options: HeapTableOptions): HeapTable {
  if (!(options.ops > 0)) throw new Error(`heapTable: ops must be positive, got ${options.ops}`);
  const mapper = new SourceMapper(options.repoRoot);
  const stackDepth = options.stackDepth ?? 8;
  const rows: Array<{ bytes: number; path: SamplingHeapProfileNode[] }> = [];
  let totalBytes = 0;
  // Iterative walk: profiles of deep recursion would overflow a recursive one.
  const pending: Array<{ node: SamplingHeapProfileNode; path: SamplingHeapProfileNode[] }> = [{ node: profile.head, path: [] }];
  while (pending.length > 0) {
    const { node, path } = pending.pop()!;
    const here = [...path, node];
    if (node.selfSize > 0) {
      totalBytes += node.selfSize;
      rows.push({ bytes: node.selfSize, path: here });
    }
    for (const child of node.children) pending.push({ node: child, path: here });
  }
  // Rows whose innermost `stackDepth` frames agree are one site (they differ only in how the
  // event loop reached them: a microtask, an immediate…).
  const merged = new Map<string, { bytes: number; stack: Frame[] }>();
  for (const { bytes, path } of rows) {
    const frames = path
      .slice()
      .reverse()
      .filter((n) => n.callFrame.url !== '' || !n.callFrame.functionName.startsWith('('))
      .map((n) => mapper.frame(n.callFrame));
    const stack = frames.slice(0, stackDepth);
    const key = stack.map((f) => `${formatFrame(f)}:${f.column}`).join('\u0000');
    const seen = merged.get(key);
    if (seen) seen.bytes += bytes;
    else merged.set(key, { bytes, stack });
  }
  const sites = [...merged.values()]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, options.top ?? 15)
    .map(({ bytes, stack }): AllocationSite => ({
      site: stack[0] ?? { functionName: '(root)', file: '', line: 0, column: 0 },
      stack,
      bytes,
      bytesPerOp: bytes / options.ops,
      share: totalBytes > 0 ? bytes / totalBytes : 0,
    }));
  return { totalBytes, totalBytesPerOp: totalBytes / options.ops, ops: options.ops, sites };
}

export function formatFrame(f: Frame): string {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  return f.file === '' ? name : `${name} ${f.file}:${f.line}`;
}

/** A fixed-width text table for the terminal. */
export function heapTableText(t: HeapTable): string {
  const lines = [
    `JS-heap allocation (sampled): ${fmtBytes(t.totalBytesPerOp)} B/op over ${t.ops} ops, ${t.totalBytes} B in total`,
    `${'B/op'.padStart(10)} ${'share'.padStart(6)}  site  <- callers`,
  ];
  for (const s of t.sites) {
    lines.push(
      `${fmtBytes(s.bytesPerOp).padStart(10)} ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.stack.map(formatFrame).join('  <-  ')}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The same table in markdown, for reports and PR comments. */
export function heapTableMarkdown(t: HeapTable): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    `JS-heap allocation (sampled): **${fmtBytes(t.totalBytesPerOp)} B/op** over ${t.ops} operations.`,
    '',
    '| B/op | share | site | stack (innermost first) |',
    '| ---: | ---: | --- | --- |',
  ];
  for (const s of t.sites) {
    lines.push(
      `| ${fmtBytes(s.bytesPerOp)} | ${(s.share * 100).toFixed(1)}% | \`${esc(formatFrame(s.site))}\` | ${s.stack
        .slice(1)
        .map((f) => `\`${esc(formatFrame(f))}\``)
        .join(' ← ')} |`,
    );
  }
  return lines.join('\n') + '\n';
}

function fmtBytes(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toFixed(3);
}

/** Maps compiled-file positions to TypeScript sources with the `.js.map` beside each file. */
export class SourceMapper {
  private readonly maps = new Map<string, SourceMap | null>();

  constructor(private readonly repoRoot: string) {}

  frame(cf: SamplingHeapProfileNode['callFrame']): Frame {
    const file = cf.url.startsWith('file://') ? fileURLToPath(cf.url) : cf.url;
    const generated: Frame = {
      functionName: cf.functionName,
      file: file.startsWith('/') ? relative(this.repoRoot, file) : file,
      line: cf.lineNumber + 1,
      column: cf.columnNumber + 1,
    };
    if (!file.startsWith('/') || cf.lineNumber < 0) return generated;
    const map = this.load(file);
    if (map === null) return generated;
    const entry = map.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return generated;
    const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : entry.originalSource;
    return {
      functionName: cf.functionName,
      file: source.startsWith('/') ? relative(this.repoRoot, source) : source,
      line: entry.originalLine + 1,
      column: (entry.originalColumn ?? 0) + 1,
    };
  }

  private load(file: string): SourceMap | null {
    const cached = this.maps.get(file);
    if (cached !== undefined) return cached;
    const mapPath = `${file}.map`;
    let map: SourceMap | null = null;
    if (existsSync(mapPath)) {
      const payload = JSON.parse(readFileSync(mapPath, 'utf8')) as { sources: string[]; sourceRoot?: string };
      // tsc writes sources relative to the map file; SourceMap wants them resolvable: make them absolute URLs.
      const base = new URL(`file://${mapPath}`);
      payload.sources = payload.sources.map((s) => new URL(s, base).href);
      map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
    }
    this.maps.set(file, map);
    return map;
  }
}
