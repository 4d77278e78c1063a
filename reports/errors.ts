/**
 * Errors of the report and figure tools. Each has a stable `code`; the message says what to do.
 */
export type ReportErrorCode =
  | 'RESULT_UNREADABLE'
  | 'RESULT_NOT_JSON'
  | 'RESULT_SCHEMA_MISMATCH'
  | 'RESULT_MALFORMED'
  | 'REPORT_BAD_ARGS'
  | 'RENDER_FAILED';

export class ReportError extends Error {
  readonly code: ReportErrorCode;
  constructor(code: ReportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReportError';
    this.code = code;
  }
}
