/**
 * The project's error base (undici's pattern): one class with a stable `code` that callers and
 * tests branch on, never the message text; every message says what was wrong and what to do.
 * It lives in contract/ because the result reader (below harness/ and reports/) throws it;
 * harness/errors.ts adds the harness's own subclasses.
 */
export class BuflabError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
