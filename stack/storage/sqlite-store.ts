/**
 * A record store over SQLite (sql.js: SQLite compiled to WebAssembly, an in-memory database), used
 * through the buffer strategies: one table `records (id INTEGER PRIMARY KEY, version, data BLOB)`,
 * prepared statements made once, each record a header plus payload (wire.ts).
 *
 * Writing: the caller asks for a record with `beginRecord` (the strategy's `beginTx`, 16 bytes of
 * headroom reserved), fills the payload, and `insert`/`update` prepend the header (the strategy's
 * `prepend`: a new array and a copy under `uint8array`, in place otherwise) and bind the bytes. SQLite
 * copies a bound BLOB into WebAssembly memory during the bind, so the record is released right
 * after the statement ran. sql.js binds a whole `Uint8Array`: a record that is not its buffer's
 * whole extent (a pooled chunk, a region of the big struct) is bound through a `subarray` view,
 * counted in `counters.bindViews` (a JS-heap object per bind, the API's price for those strategies).
 *
 * Reading: `scan` visits every record in id order. sql.js returns each row as a fresh array and its
 * BLOB as a fresh Uint8Array copied out of WebAssembly memory; the strategy cannot avoid it, so the
 * BLOB is counted as a foreign allocation (`countForeign`) and the record is read in place.
 * (sql.js exports `bind(array)` and `get()` only, not its per-column binders and getters, so
 * parameters go through one array per statement, made once and refilled.)
 */
import type { BufferStrategy, TxFrame } from '../../allocators/buffer-strategy.js';
import { BuflabError } from '../../contract/errors.js';
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';
import { RECORD_HEADER_BYTES, setRecordHeader } from './wire.js';

let sqlJs: Promise<SqlJsStatic> | null = null;

/** Loads sql.js's WebAssembly module once per process. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs();
  return sqlJs;
}

/** A statement did not do what the store asked (a missing row to update, a duplicate id). */
export class StoreError extends BuflabError {
  constructor(message: string) {
    super('E_STORE', message);
  }
}

export interface StoreCounters {
  inserted: number;
  updated: number;
  deleted: number;
  /** Records read by `scan`. */
  read: number;
  /** `subarray` views made to bind a record that is not its buffer's whole extent. */
  bindViews: number;
}

/** Visits one record: `buf[start, end)` is the whole record (header included), valid only during the call. */
export type RecordVisitor = (id: number, version: number, buf: Uint8Array, start: number, end: number) => void;

const EMPTY = new Uint8Array(0);
const LAYOUT = { headroomBytes: RECORD_HEADER_BYTES, tailroomBytes: 0 };

export class SqliteRecordStore {
  readonly counters: StoreCounters = { inserted: 0, updated: 0, deleted: 0, read: 0, bindViews: 0 };
  private readonly db: Database;
  private readonly sBegin: Statement;
  private readonly sCommit: Statement;
  private readonly sInsert: Statement;
  private readonly sUpdate: Statement;
  private readonly sDelete: Statement;
  private readonly sScan: Statement;
  /** Parameter arrays, one per statement, refilled for every call. */
  private readonly pInsert: Array<number | Uint8Array> = [0, 0, EMPTY];
  private readonly pUpdate: Array<number | Uint8Array> = [0, EMPTY, 0];
  private readonly pDelete: number[] = [0];

  constructor(
    sql: SqlJsStatic,
    readonly strategy: BufferStrategy,
  ) {
    this.db = new sql.Database();
    this.db.run('CREATE TABLE records (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, data BLOB NOT NULL)');
    this.sBegin = this.db.prepare('BEGIN');
    this.sCommit = this.db.prepare('COMMIT');
    this.sInsert = this.db.prepare('INSERT INTO records (id, version, data) VALUES (?, ?, ?)');
    this.sUpdate = this.db.prepare('UPDATE records SET version = ?, data = ? WHERE id = ?');
    this.sDelete = this.db.prepare('DELETE FROM records WHERE id = ?');
    this.sScan = this.db.prepare('SELECT id, version, data FROM records ORDER BY id');
  }

  begin(): void {
    this.runOnce(this.sBegin);
  }
  commit(): void {
    this.runOnce(this.sCommit);
  }

  private runOnce(s: Statement): void {
    s.step();
    s.reset();
  }

  /** Starts a record of `payloadBytes`: on return `frame.buf[start, end)` is the payload to fill. */
  beginRecord(frame: TxFrame, payloadBytes: number): void {
    this.strategy.beginTx(frame, payloadBytes, LAYOUT);
  }

  /** Prepends the header to the filled `frame`; returns the record's bytes as sql.js binds them. */
  private recordBytes(frame: TxFrame, id: number, version: number): Uint8Array {
    const payloadBytes = frame.end - frame.start;
    this.strategy.prepend(frame, RECORD_HEADER_BYTES);
    setRecordHeader(frame.buf, frame.start, id, version, payloadBytes);
    if (frame.start === 0 && frame.end === frame.buf.length) return frame.buf;
    this.counters.bindViews++;
    return frame.buf.subarray(frame.start, frame.end);
  }

  /** Inserts record `id`; consumes `frame` (released). Throws `StoreError` when `id` exists. */
  insert(frame: TxFrame, id: number, version: number): void {
    const s = this.sInsert;
    const p = this.pInsert;
    try {
      p[0] = id;
      p[1] = version;
      p[2] = this.recordBytes(frame, id, version);
      s.bind(p);
      s.step();
    } catch (err) {
      throw new StoreError(`insert of record ${id} failed: ${String(err)}`);
    } finally {
      p[2] = EMPTY;
      s.reset();
      this.strategy.releaseTx(frame);
    }
    this.counters.inserted++;
  }

  /** Replaces record `id`; consumes `frame`. Throws `StoreError` when no record has that id. */
  update(frame: TxFrame, id: number, version: number): void {
    const s = this.sUpdate;
    const p = this.pUpdate;
    try {
      p[0] = version;
      p[1] = this.recordBytes(frame, id, version);
      p[2] = id;
      s.bind(p);
      s.step();
    } finally {
      p[1] = EMPTY;
      s.reset();
      this.strategy.releaseTx(frame);
    }
    if (this.db.getRowsModified() !== 1) throw new StoreError(`update of record ${id} changed ${this.db.getRowsModified()} rows, expected 1`);
    this.counters.updated++;
  }

  /** Deletes record `id`. Throws `StoreError` when no record has that id. */
  delete(id: number): void {
    const s = this.sDelete;
    this.pDelete[0] = id;
    s.bind(this.pDelete);
    s.step();
    s.reset();
    if (this.db.getRowsModified() !== 1) throw new StoreError(`delete of record ${id} changed ${this.db.getRowsModified()} rows, expected 1`);
    this.counters.deleted++;
  }

  /** Visits every record in id order; returns how many. */
  scan(visit: RecordVisitor): number {
    const s = this.sScan;
    let n = 0;
    try {
      while (s.step()) {
        const row = s.get();
        const data = row[2];
        if (!(data instanceof Uint8Array)) throw new StoreError(`scan: row ${n} has no BLOB in its data column`);
        this.strategy.countForeign(data.length);
        visit(Number(row[0]), Number(row[1]), data, 0, data.length);
        n++;
      }
    } finally {
      s.reset();
    }
    this.counters.read += n;
    return n;
  }

  /**
   * Test hook: overwrites the stored bytes of record `id` with `data` behind the store's back (the
   * version stays), as a faulty disk or a buggy layer below would.
   */
  corruptForTest(id: number, data: Uint8Array): void {
    const s = this.db.prepare('UPDATE records SET data = ? WHERE id = ?');
    s.bind([data, id]);
    s.step();
    s.free();
  }

  close(): void {
    for (const s of [this.sBegin, this.sCommit, this.sInsert, this.sUpdate, this.sDelete, this.sScan]) s.free();
    this.db.close();
  }
}
