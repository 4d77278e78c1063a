/** The run's environment as label/value pairs, for the HTML report and summary.md. */
import type { ResultFile } from '../contract/result-schema.js';
import { fmtBytes } from './format.js';

export function environmentEntries(result: ResultFile): Array<[string, string]> {
  const e = result.environment;
  const allocators = new Map<string, string>();
  for (const c of result.cells) {
    const info = c.allocatorInfo ?? c.forks[0]?.allocator;
    if (!info || allocators.has(info.name)) continue;
    const parts = [info.path ?? 'built-in (glibc malloc)'];
    if (info.packageVersion) parts.push(`version ${info.packageVersion}`);
    if (info.sha256) parts.push(`sha256 ${info.sha256.slice(0, 12)}…`);
    parts.push(info.verified ? 'verified mapped' : 'NOT verified');
    allocators.set(info.name, parts.join(', '));
  }
  // Issue 14: the children's runtimes (cells of a --runtime run), each with its exact version and binary.
  const runtimes = new Map<string, string>();
  for (const c of result.cells) {
    const info = c.runtimeInfo ?? c.forks[0]?.runtime;
    if (!info || runtimes.has(info.name)) continue;
    const copy = c.forks[0]?.node.rangeCopyPath;
    runtimes.set(info.name, `${info.version} / V8 ${info.v8}, ${info.path} (${info.source})${info.sha256 ? `, sha256 ${info.sha256.slice(0, 12)}…` : ''}${copy ? `, range copies ${copy}` : ''}`);
  }
  const entries: Array<[string, string]> = [
    ['suite', result.suite],
    [runtimes.size > 0 ? 'parent node / V8' : 'node / V8', `${e.node} / ${e.v8}`],
    ['platform', `${e.platform} ${e.arch}, kernel ${e.kernel}`],
    ['CPU', `${e.cpuModel} (${e.cores} cores), governor ${e.governor ?? 'unknown'}`],
    ['memory', fmtBytes(e.totalMemoryBytes)],
    ['git', `${e.git.commit ?? 'unknown'}${e.git.dirty ? ' (dirty working tree)' : e.git.dirty === false ? ' (clean)' : ''}`],
    ['harness', `buflab ${e.harnessVersion}, result schema ${result.schemaVersion}`],
    ['run', `${e.startedAt} → ${e.finishedAt ?? '(not finished)'}${result.interrupted ? ' — INTERRUPTED' : ''}`],
    ['command', `npm run bench -- ${e.argv.join(' ')}`],
  ];
  for (const [name, desc] of runtimes) entries.push([`runtime ${name}`, desc]);
  for (const [name, desc] of allocators) entries.push([`allocator ${name}`, desc]);
  return entries;
}
