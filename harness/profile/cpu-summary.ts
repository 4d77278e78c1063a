/**
 * The functions that hold the CPU in a `.cpuprofile` (Chrome DevTools Protocol `Profiler.Profile`):
 * self share (samples where the function is on top) and total share (samples where it is anywhere on
 * the stack, counted once per sample even under recursion). A terminal-sized companion of the
 * flamegraph, mapped to TypeScript lines where source maps exist.
 */
import { SourceMapper, formatFrame, type Frame } from './heap-table.js';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface CpuFunction {
  frame: Frame;
  selfShare: number;
  totalShare: number;
  selfSamples: number;
}

export interface CpuSummary {
  samples: number;
  /** Profile duration, ms. */
  elapsedMs: number;
  functions: CpuFunction[];
}

export function cpuSummary(profile: CpuProfile, options: { repoRoot: string; top?: number }): CpuSummary {
  const mapper = new SourceMapper(options.repoRoot);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const root = profile.nodes.find((n) => !childIds.has(n.id));
  const keyOf = (n: CpuProfileNode): string => `${n.callFrame.functionName}\u0000${n.callFrame.url}\u0000${n.callFrame.lineNumber}\u0000${n.callFrame.columnNumber}`;

  // Subtree sample counts, bottom-up over an explicit post-order.
  const subtree = new Map<number, number>();
  const order: CpuProfileNode[] = [];
  const stack: CpuProfileNode[] = root ? [root] : [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    order.push(n);
    for (const c of n.children ?? []) stack.push(byId.get(c)!);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    let sum = n.hitCount ?? 0;
    for (const c of n.children ?? []) sum += subtree.get(c) ?? 0;
    subtree.set(n.id, sum);
  }
  const total = root ? (subtree.get(root.id) ?? 0) : 0;

  const self = new Map<string, { node: CpuProfileNode; hits: number }>();
  const inclusive = new Map<string, number>();
  const walk: Array<{ node: CpuProfileNode; onStack: ReadonlySet<string> }> = root ? [{ node: root, onStack: new Set() }] : [];
  while (walk.length > 0) {
    const { node, onStack } = walk.pop()!;
    const key = keyOf(node);
    const entry = self.get(key);
    if (entry) entry.hits += node.hitCount ?? 0;
    else self.set(key, { node, hits: node.hitCount ?? 0 });
    let next = onStack;
    if (!onStack.has(key)) {
      inclusive.set(key, (inclusive.get(key) ?? 0) + (subtree.get(node.id) ?? 0));
      next = new Set(onStack).add(key);
    }
    for (const c of node.children ?? []) walk.push({ node: byId.get(c)!, onStack: next });
  }
  const functions = [...self.entries()]
    .filter(([, v]) => v.node.callFrame.functionName !== '(root)')
    .sort((a, b) => b[1].hits - a[1].hits)
    .slice(0, options.top ?? 20)
    .map(([key, v]): CpuFunction => ({
      frame: mapper.frame(v.node.callFrame),
      selfSamples: v.hits,
      selfShare: total > 0 ? v.hits / total : 0,
      totalShare: total > 0 ? (inclusive.get(key) ?? 0) / total : 0,
    }));
  return { samples: total, elapsedMs: (profile.endTime - profile.startTime) / 1000, functions };
}

export function cpuSummaryText(s: CpuSummary): string {
  const lines = [
    `CPU profile: ${s.samples} samples over ${s.elapsedMs.toFixed(0)} ms`,
    `${'self'.padStart(6)} ${'total'.padStart(6)}  function`,
  ];
  for (const f of s.functions) {
    lines.push(`${(f.selfShare * 100).toFixed(1).padStart(5)}% ${(f.totalShare * 100).toFixed(1).padStart(5)}%  ${formatFrame(f.frame)}`);
  }
  return lines.join('\n') + '\n';
}
