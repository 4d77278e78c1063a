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
  const entries: Array<[string, string]> = [
    ['suite', result.suite],
    ['node / V8', `${e.node} / ${e.v8}`],
    ['platform', `${e.platform} ${e.arch}, kernel ${e.kernel}`],
    ['CPU', `${e.cpuModel} (${e.cores} cores), governor ${e.governor ?? 'unknown'}`],
    ['memory', fmtBytes(e.totalMemoryBytes)],
    ['git', `${e.git.commit ?? 'unknown'}${e.git.dirty ? ' (dirty working tree)' : e.git.dirty === false ? ' (clean)' : ''}`],
    ['harness', `buflab ${e.harnessVersion}, result schema ${result.schemaVersion}`],
    ['run', `${e.startedAt} → ${e.finishedAt ?? '(not finished)'}${result.interrupted ? ' — INTERRUPTED' : ''}`],
    ['command', `npm run bench -- ${e.argv.join(' ')}`],
  ];
  for (const [name, desc] of allocators) entries.push([`allocator ${name}`, desc]);
  return entries;
}
