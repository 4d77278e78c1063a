/**
 * The part of sql.js (SQLite compiled to WebAssembly, https://sql.js.org) that stack/storage uses.
 * sql.js ships no types; these follow its documented API (`Database`, `Statement`). Errors from
 * SQLite are thrown as `Error` objects (or, from a few paths, strings).
 */
declare module 'sql.js' {
  export interface Statement {
    /**
     * Resets the statement and binds `values` to its parameters in order; a Uint8Array is copied
     * into WebAssembly memory and bound as a BLOB (freed at the next reset).
     */
    bind(values: Array<number | Uint8Array | null>): boolean;
    /** Runs to the next row; true while a row is available. */
    step(): boolean;
    /** The current row as a fresh array; a BLOB column is a fresh Uint8Array copied out of WebAssembly memory. */
    get(): Array<number | string | Uint8Array | null>;
    reset(): void;
    free(): boolean;
  }
  export interface Database {
    run(sql: string): Database;
    prepare(sql: string): Statement;
    /** Rows changed by the last INSERT, UPDATE or DELETE. */
    getRowsModified(): number;
    close(): void;
  }
  export interface SqlJsStatic {
    Database: new () => Database;
  }
  export default function initSqlJs(config?: { locateFile?: (file: string) => string }): Promise<SqlJsStatic>;
}
