/**
 * The `string` variant must allocate a new flat sequential string per operation. Checked in a child
 * with `--allow-natives-syntax`: `%DebugPrint` names the V8 string type and the object's address.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXTERNAL_STRING_MIN_BYTES, FlatStringSource, STRING_MAX_BYTES } from '../../../workloads/alloc/flat-string.js';

interface Printed {
  address: string;
  type: string;
}

/** Runs `body` (JS with `src(n)` = a FlatStringSource and `print(s)` = %DebugPrint) in a child. */
function debugPrint(body: string): Printed[] {
  const code =
    "import('./workloads/alloc/flat-string.ts').then((m) => { const src = (n) => new m.FlatStringSource(n); const print = (s) => { %DebugPrint(s); }; " +
    body +
    ' })';
  // %DebugPrint writes through C stdio; into a (non-blocking) pipe its tail is lost at exit, so the
  // child writes to a file instead.
  const dir = mkdtempSync(join(tmpdir(), 'buflab-flat-string-'));
  const file = join(dir, 'out.txt');
  const fd = openSync(file, 'w');
  let out: string;
  try {
    execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '-e', code], {
      cwd: process.cwd(),
      stdio: ['ignore', fd, 'pipe'],
      timeout: 30_000,
    });
    out = readFileSync(file, 'utf8');
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  const printed: Printed[] = [];
  for (const m of out.matchAll(/DebugPrint: (0x[0-9a-f]+): \[String\][\s\S]*?\n - type: (\w+)/g)) {
    printed.push({ address: m[1]!, type: v8v11TypeName(m[2]!) });
  }
  return printed;
}

/**
 * V8 13 (Node 24) renamed the string instance types it prints — a sequential one-byte string is
 * `SEQ_ONE_BYTE_STRING_TYPE`, an internalized one `INTERNALIZED_ONE_BYTE_STRING_TYPE` — for the same
 * kinds of string V8 11 (Node 20) calls `ONE_BYTE_STRING_TYPE` and `ONE_BYTE_INTERNALIZED_STRING_TYPE`:
 * the tests compare V8 11's names.
 */
function v8v11TypeName(type: string): string {
  const renamed: Record<string, string> = {
    SEQ_ONE_BYTE_STRING_TYPE: 'ONE_BYTE_STRING_TYPE',
    INTERNALIZED_ONE_BYTE_STRING_TYPE: 'ONE_BYTE_INTERNALIZED_STRING_TYPE',
  };
  return renamed[type] ?? type;
}

describe('flat strings for the alloc loop', () => {
  it('are new sequential one-byte strings, a distinct object on every call', () => {
    const sizes = [2, 13, 64, 4096, 65536];
    const printed = debugPrint(`for (const n of ${JSON.stringify(sizes)}) { const s = src(n); print(s.fresh()); print(s.fresh()); }`);
    expect(printed.map((p) => p.type)).toEqual(new Array(sizes.length * 2).fill('ONE_BYTE_STRING_TYPE'));
    for (let i = 0; i < printed.length; i += 2) expect(printed[i]!.address).not.toBe(printed[i + 1]!.address);
  });

  it('the limits are where V8/Node stop allocating flat strings (why sizes outside are refused)', () => {
    const code =
      `const b = Buffer.alloc(${EXTERNAL_STRING_MIN_BYTES}, 0x61);` +
      `print(b.toString('latin1', 0, 1)); print(b.toString('latin1', 0, 2));` +
      `print(b.toString('latin1', 0, ${STRING_MAX_BYTES})); print(b.toString('latin1', 0, ${EXTERNAL_STRING_MIN_BYTES}));`;
    expect(debugPrint(code).map((p) => p.type)).toEqual([
      'ONE_BYTE_INTERNALIZED_STRING_TYPE',
      'ONE_BYTE_STRING_TYPE',
      'ONE_BYTE_STRING_TYPE',
      'EXTERNAL_ONE_BYTE_STRING_TYPE',
    ]);
  });

  it('refuses sizes that would not allocate a flat heap string', () => {
    expect(() => new FlatStringSource(1)).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG' }));
    expect(() => new FlatStringSource(EXTERNAL_STRING_MIN_BYTES)).toThrow(/external strings/);
    const s = new FlatStringSource(5);
    s.bytes.set([104, 101, 108, 108, 111]);
    expect(s.fresh()).toBe('hello');
  });
});
