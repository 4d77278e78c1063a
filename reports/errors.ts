/**
 * Errors of the report and figure tools. Each has a stable `code`; the message says what to do. An
 * unusable result file is contract/read-result.ts's ResultReadError (E_RESULT_* codes).
 */
import { BuflabError } from '../contract/errors.js';

export type ReportErrorCode = 'REPORT_BAD_ARGS' | 'RENDER_FAILED';

export class ReportError extends BuflabError {
  declare readonly code: ReportErrorCode;
  constructor(code: ReportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
