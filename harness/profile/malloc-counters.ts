/**
 * The counters of the malloc-counting shim (scripts/malloc-count/malloc-count.c): where the library
 * is, the layout of the file it maps, and per-operation arithmetic. Word indices must match the
 * `MC_*` enum of the C file.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';

/** Environment variable naming the counter file the shim creates and maps. */
export const MALLOC_COUNT_FILE_ENV = 'BUFLAB_MALLOC_COUNT_FILE';

/** File name of the shim built by scripts/malloc-count/build.sh. */
export const MALLOC_SHIM_FILE = 'libbuflab-malloc-count.so';

const MAGIC = 0x746e756f636c6d62n;
const VERSION = 3n;
const WORDS = 17;

/** Cumulative counts since the process loaded the shim. Bytes are the sizes requested, not usable sizes. */
export interface MallocCounts {
  mallocCalls: number;
  mallocBytes: number;
  callocCalls: number;
  callocBytes: number;
  reallocCalls: number;
  reallocBytes: number;
  /** `free` of a non-NULL pointer. */
  freeCalls: number;
  /** posix_memalign, aligned_alloc, memalign, valloc, pvalloc. */
  alignedCalls: number;
  alignedBytes: number;
  /** Allocating calls (malloc, calloc, realloc, aligned) made on the main (JavaScript) thread. */
  mainAllocCalls: number;
  mainAllocBytes: number;
  /** `free` and `operator delete` calls made on the main thread. */
  mainFreeCalls: number;
  /**
   * C++ `operator new` / `new[]` (all variants). Counted apart from malloc: jemalloc, tcmalloc and
   * mimalloc bring their own, which never call malloc; under glibc, libstdc++'s calls malloc, and
   * the shim counts that nested call only once, here.
   */
  newCalls: number;
  newBytes: number;
  /** `operator delete` / `delete[]` of a non-NULL pointer. */
  deleteCalls: number;
}

export const MALLOC_COUNT_KEYS: ReadonlyArray<keyof MallocCounts> = [
  'mallocCalls',
  'mallocBytes',
  'callocCalls',
  'callocBytes',
  'reallocCalls',
  'reallocBytes',
  'freeCalls',
  'alignedCalls',
  'alignedBytes',
  'mainAllocCalls',
  'mainAllocBytes',
  'mainFreeCalls',
  'newCalls',
  'newBytes',
  'deleteCalls',
];

/** The shim's path inside a checkout rooted at `repoRoot`. */
export function mallocShimPath(repoRoot: string): string {
  return resolve(repoRoot, 'scripts', 'malloc-count', MALLOC_SHIM_FILE);
}

/** Thrown when the counter file is missing or not the shim's (a configuration problem). */
export class MallocCountError extends Error {
  readonly code = 'E_MALLOC_COUNT';
  constructor(message: string) {
    super(message);
    this.name = 'MallocCountError';
  }
}

/**
 * A reader over the counter file that allocates nothing per read beyond the returned object: the
 * file descriptor and the 136-byte buffer are made once, so that reading at phase start and end adds
 * no native allocation of its own to the measured phase.
 */
export class MallocCounterReader {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(WORDS * 8);

  constructor(readonly path: string) {
    if (!existsSync(path)) {
      throw new MallocCountError(
        `${path} does not exist: the shim was not loaded (is it first in LD_PRELOAD, and was ${MALLOC_COUNT_FILE_ENV} set?)`,
      );
    }
    this.fd = openSync(path, 'r');
  }

  read(): MallocCounts {
    const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    if (n !== this.buf.length) throw new MallocCountError(`${this.path}: short read (${n} bytes)`);
    return decodeCounts(this.buf);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Decodes the shim's file contents. Throws {@link MallocCountError} when the magic or version is wrong. */
export function decodeCounts(buf: Uint8Array): MallocCounts {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < WORDS * 8 || view.getBigUint64(0, true) !== MAGIC) {
    throw new MallocCountError('not a malloc-count file (bad magic): rebuild the shim with scripts/malloc-count/build.sh');
  }
  const version = view.getBigUint64(8, true);
  if (version !== VERSION) throw new MallocCountError(`malloc-count file version ${version}, expected ${VERSION}: rebuild the shim`);
  const word = (i: number): number => Number(view.getBigUint64(i * 8, true));
  return {
    mallocCalls: word(2),
    mallocBytes: word(3),
    callocCalls: word(4),
    callocBytes: word(5),
    reallocCalls: word(6),
    reallocBytes: word(7),
    freeCalls: word(8),
    alignedCalls: word(9),
    alignedBytes: word(10),
    mainAllocCalls: word(11),
    mainAllocBytes: word(12),
    mainFreeCalls: word(13),
    newCalls: word(14),
    newBytes: word(15),
    deleteCalls: word(16),
  };
}

export function diffCounts(after: MallocCounts, before: MallocCounts): MallocCounts {
  const out = { ...after };
  for (const k of MALLOC_COUNT_KEYS) out[k] = after[k] - before[k];
  return out;
}

/** Per-operation figures of a phase's counts. */
export interface MallocPerOp {
  /** malloc + calloc + realloc + aligned + operator new calls per operation: every call that may hand out memory. */
  allocCallsPerOp: number;
  /** Bytes requested by those calls per operation. */
  allocBytesPerOp: number;
  /** free + operator delete calls per operation. */
  freeCallsPerOp: number;
  /**
   * Allocating calls per operation on the main thread alone: the JavaScript thread that runs the
   * operation. The rest come from V8's and libuv's own threads (GC, compiler, platform workers).
   */
  mainThreadAllocCallsPerOp: number;
  mainThreadAllocBytesPerOp: number;
  byCall: Record<keyof MallocCounts, number>;
}

export function perOp(delta: MallocCounts, ops: number): MallocPerOp {
  if (!(ops > 0)) throw new MallocCountError(`cannot divide by ${ops} operations`);
  const byCall = { ...delta };
  for (const k of MALLOC_COUNT_KEYS) byCall[k] = delta[k] / ops;
  return {
    allocCallsPerOp: (delta.mallocCalls + delta.callocCalls + delta.reallocCalls + delta.alignedCalls + delta.newCalls) / ops,
    allocBytesPerOp: (delta.mallocBytes + delta.callocBytes + delta.reallocBytes + delta.alignedBytes + delta.newBytes) / ops,
    freeCallsPerOp: (delta.freeCalls + delta.deleteCalls) / ops,
    mainThreadAllocCallsPerOp: delta.mainAllocCalls / ops,
    mainThreadAllocBytesPerOp: delta.mainAllocBytes / ops,
    byCall,
  };
}
