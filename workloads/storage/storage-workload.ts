/**
 * The storage workload, after the database benchmark of the Mirage unikernel paper (Madhavapeddy et
 * al., ASPLOS 2013): records of a given size are inserted, updated and deleted over iterations in a
 * real embedded database (SQLite, through sql.js: stack/storage), and the database is checked after
 * each iteration. `op()` is one iteration:
 *
 *   BEGIN; insert a new record; update a live one to a new version; delete the oldest; COMMIT;
 *   then read every live record back and compare it, byte for byte, with what was written.
 *
 * The live set stays `records` long (a window of ids). A record's payload is a pseudo-random stream
 * derived from (id, version), regenerated for the comparison, so no copy of it is kept. Records are
 * built in buffers from the cell's strategy (stack/storage/sqlite-store.ts says how each strategy
 * reaches SQLite). A record read back that differs from what was written throws
 * `StorageCorruptionError` at once, naming the record: the fork fails, loudly, by design.
 */
import type { StrategyCounters } from '../../allocators/buffer-strategy.js';
import { newTxFrame } from '../../allocators/buffer-strategy.js';
import { BuflabError } from '../../contract/errors.js';
import { RECORD_HEADER_BYTES, recordStatus, getRecordId, getRecordVersion } from '../../stack/storage/wire.js';
import { SqliteRecordStore, loadSqlJs } from '../../stack/storage/sqlite-store.js';
import { WorkloadConfigError, type WorkloadDefinition, type WorkloadInstance, type WorkloadSetup } from '../workload.js';

// sql.js compiles its WebAssembly once per process, when this module is loaded (the child loads
// only its cell's workload), so no cell measures it.
const SQL = await loadSqlJs();

/** A record read back differs from what was written. */
export class StorageCorruptionError extends BuflabError {
  constructor(message: string) {
    super('E_STORAGE_CORRUPT', message);
  }
}

export interface StorageOptions {
  /** Live records in the table (the window of ids kept). */
  records: number;
}

export function storageOptionsFromParams(params: WorkloadSetup['params']): StorageOptions {
  const records = Number(params['records'] ?? 32);
  if (!Number.isInteger(records) || records < 2 || records > 100_000) throw new WorkloadConfigError(`records=${String(params['records'])}: use an integer in 2..100000`);
  return { records };
}

/** The payload stream of (id, version): xorshift32 from a seed mixing both (never 0). */
function streamSeed(id: number, version: number, seed: number): number {
  return (Math.imul(id + 1, 0x9e3779b1) ^ Math.imul(version + 1, 0x85ebca6b) ^ seed) | 1;
}

/** Fills `buf[start, end)` with the stream of `s`. */
function fillStream(buf: Uint8Array, start: number, end: number, s: number): void {
  let x = s;
  for (let i = start; i < end; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
}

/** The offset of the first byte of `buf[start, end)` that differs from the stream of `s`, or −1. */
function firstStreamMismatch(buf: Uint8Array, start: number, end: number, s: number): number {
  let x = s;
  for (let i = start; i < end; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    if (buf[i] !== (x & 0xff)) return i - start;
  }
  return -1;
}

export class StorageWorkload implements WorkloadInstance {
  readonly payloadBytesPerOp: number;
  readonly store: SqliteRecordStore;
  private readonly frame = newTxFrame();
  private readonly payloadBytes: number;
  private readonly seed: number;
  private readonly records: number;
  /** Version of each live id, at `id % records` (live ids are a window of `records` ids). */
  private readonly versions: Int32Array;
  /** Live ids are [lo, hi). */
  private lo = 0;
  private hi = 0;
  private iterations = 0;
  private verifiedRecords = 0;
  private expectId = 0;
  private readonly visit: (id: number, version: number, buf: Uint8Array, start: number, end: number) => void;

  constructor(setup: WorkloadSetup, options: StorageOptions) {
    if (!Number.isInteger(setup.sizeBytes) || setup.sizeBytes < 1 || setup.sizeBytes > 16 * 1024 * 1024) {
      throw new WorkloadConfigError(`storage: record payload of ${setup.sizeBytes} bytes; use 1..16777216`);
    }
    this.payloadBytes = setup.sizeBytes;
    this.payloadBytesPerOp = 2 * setup.sizeBytes; // written per iteration: one insert, one update
    this.seed = setup.seed;
    this.records = options.records;
    this.versions = new Int32Array(options.records);
    this.store = new SqliteRecordStore(SQL, setup.makeStrategy());
    this.visit = (id, version, buf, start, end) => this.check(id, version, buf, start, end);
    this.store.begin();
    for (let i = 0; i < options.records; i++) this.put(this.hi++, 0, false);
    this.store.commit();
  }

  private put(id: number, version: number, update: boolean): void {
    const f = this.frame;
    this.store.beginRecord(f, this.payloadBytes);
    fillStream(f.buf, f.start, f.end, streamSeed(id, version, this.seed));
    if (update) this.store.update(f, id, version);
    else this.store.insert(f, id, version);
    this.versions[id % this.records] = version;
  }

  op(): void {
    const n = this.iterations++;
    const st = this.store;
    st.begin();
    this.put(this.hi++, 0, false);
    // A live record other than the oldest (deleted below) and the newest (just inserted).
    const u = this.lo + 1 + (n % (this.records - 1));
    this.put(u, this.versions[u % this.records]! + 1, true);
    st.delete(this.lo++);
    st.commit();
    this.checkAll();
  }

  /** Reads every record back; throws `StorageCorruptionError` at the first difference. */
  private checkAll(): void {
    this.expectId = this.lo;
    const n = this.store.scan(this.visit);
    if (n !== this.hi - this.lo || this.expectId !== this.hi) {
      throw new StorageCorruptionError(`storage: read back ${n} records ending before id ${this.expectId}, expected ids ${this.lo}..${this.hi - 1}`);
    }
  }

  private check(id: number, version: number, buf: Uint8Array, start: number, end: number): void {
    const want = this.expectId++;
    if (id !== want) throw new StorageCorruptionError(`storage: read record ${id} where record ${want} was expected (a lost or extra record)`);
    const wantVersion = this.versions[id % this.records]!;
    if (version !== wantVersion) throw new StorageCorruptionError(`storage: record ${id} has version ${version}, expected ${wantVersion}`);
    const status = recordStatus(buf, start, end);
    if (status !== 'ok') throw new StorageCorruptionError(`storage: record ${id}: ${status} (${end - start} bytes read back)`);
    if (getRecordId(buf, start) !== id || getRecordVersion(buf, start) !== version || end - start !== RECORD_HEADER_BYTES + this.payloadBytes) {
      throw new StorageCorruptionError(`storage: record ${id}: its header says id ${getRecordId(buf, start)} version ${getRecordVersion(buf, start)}, ${end - start} bytes`);
    }
    const at = firstStreamMismatch(buf, start + RECORD_HEADER_BYTES, end, streamSeed(id, version, this.seed));
    if (at >= 0) throw new StorageCorruptionError(`storage: record ${id} version ${version}: payload byte ${at} differs from what was written`);
    this.verifiedRecords++;
  }

  strategyCounters(): StrategyCounters {
    return { ...this.store.strategy.counters };
  }

  counters(): Record<string, number> {
    const c = this.store.counters;
    return { iterations: this.iterations, inserted: c.inserted, updated: c.updated, deleted: c.deleted, read: c.read, verifiedRecords: this.verifiedRecords, bindViews: c.bindViews, liveRecords: this.hi - this.lo };
  }

  verify(): void {
    this.checkAll();
    const c = this.store.counters;
    const it = this.iterations;
    const problems: string[] = [];
    if (c.inserted !== this.records + it || c.updated !== it || c.deleted !== it) problems.push(`${c.inserted} inserts, ${c.updated} updates, ${c.deleted} deletes for ${it} iterations of ${this.records} records`);
    if (this.verifiedRecords !== c.read) problems.push(`${this.verifiedRecords} of ${c.read} records read back verified`);
    if (problems.length > 0) throw new Error(`storage workload: ${problems.join('; ')}`);
  }

  close(): void {
    this.store.close();
  }
}

export const storageWorkload: WorkloadDefinition = {
  name: 'storage',
  description: 'insert, update and delete records in SQLite (sql.js) per iteration, every record read back and checked; op = one iteration',
  create(setup: WorkloadSetup): WorkloadInstance {
    return new StorageWorkload(setup, storageOptionsFromParams(setup.params));
  },
};
