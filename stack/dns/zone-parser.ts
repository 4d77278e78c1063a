/**
 * RFC 1035 §5 master files: `$ORIGIN`, `$TTL` (RFC 2308 §4), relative names, `@`, blank owner
 * (= previous owner), parentheses across lines, `;` comments, quoted strings with `\"` and `\DDD`
 * escapes, TTLs with s/m/h/d/w units, class IN only, the types of this server plus RFC 3597 generic
 * rdata (`\# <len> <hex>`). `$INCLUDE` is refused (a served zone is one file).
 *
 * Bad input throws `ZoneParseError` with the 1-based line number (a configuration error: the file
 * must be fixed, nothing is served).
 */
import { ipv4ToBytes, ipv6ToBytes } from './ip-text.js';
import { nameFromText, NameSyntaxError, nameToText } from './name.js';
import type { RecordData } from './rdata.js';
import { RdataError } from './rdata.js';
import * as T from './wire.js';
import { Zone, ZoneError, type ZoneRecord } from './zone.js';

export class ZoneParseError extends Error {
  readonly code = 'E_ZONE_PARSE';
  constructor(
    readonly fileName: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${fileName}:${line}: ${reason}`);
    this.name = 'ZoneParseError';
  }
}

interface Token {
  text: string;
  /** Bytes of a quoted string (escapes resolved); null for bare tokens. */
  quoted: Uint8Array | null;
  line: number;
  /** Starts at column 0 (an owner name). */
  atLineStart: boolean;
}

interface LogicalLine {
  tokens: Token[];
  line: number;
  /** The line began with whitespace: the owner is the previous one. */
  blankOwner: boolean;
}

export interface ParseZoneOptions {
  /** Initial origin (absolute, e.g. `example.com.`); `$ORIGIN` overrides it. */
  origin?: string;
  /** Default TTL when the file has no `$TTL` and no explicit TTL. */
  defaultTtl?: number;
  fileName?: string;
}

export interface ParsedZone {
  origin: Uint8Array;
  records: ZoneRecord[];
}

function tokenize(text: string, fileName: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let line = 1;
  let depth = 0;
  let openLine = 0;
  let current: LogicalLine | null = null;
  let i = 0;
  let atLineStart = true;
  const fail = (reason: string): never => {
    throw new ZoneParseError(fileName, line, reason);
  };
  const push = (t: Token): void => {
    if (current === null) current = { tokens: [], line: t.line, blankOwner: !t.atLineStart };
    current.tokens.push(t);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      atLineStart = true;
      if (depth === 0 && current !== null) {
        lines.push(current);
        current = null;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      atLineStart = false;
      continue;
    }
    if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '(') {
      if (depth > 0) fail("nested '(' is not allowed");
      depth++;
      openLine = line;
      i++;
      atLineStart = false;
      continue;
    }
    if (c === ')') {
      if (depth === 0) fail("')' without a matching '('");
      depth--;
      i++;
      atLineStart = false;
      continue;
    }
    const startLine = line;
    const startsLine = atLineStart;
    atLineStart = false;
    if (c === '"') {
      const bytes: number[] = [];
      i++;
      for (;;) {
        if (i >= text.length) throw new ZoneParseError(fileName, startLine, 'unterminated quoted string');
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\n') line++;
        if (d === '\\') {
          const esc = text.slice(i + 1, i + 4);
          if (/^\d{3}$/.test(esc)) {
            if (Number(esc) > 255) fail(`escape \\${esc} above 255`);
            bytes.push(Number(esc));
            i += 4;
          } else {
            if (i + 1 >= text.length) fail('dangling backslash in quoted string');
            bytes.push(...Buffer.from(text[i + 1]!, 'utf8'));
            i += 2;
          }
          continue;
        }
        bytes.push(...Buffer.from(d, 'utf8'));
        i++;
      }
      push({ text: Buffer.from(bytes).toString('latin1'), quoted: Uint8Array.from(bytes), line: startLine, atLineStart: startsLine });
      continue;
    }
    let j = i;
    while (j < text.length) {
      const d = text[j]!;
      if (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === ';' || d === '(' || d === ')' || d === '"') break;
      if (d === '\\') j++;
      j++;
    }
    push({ text: text.slice(i, j), quoted: null, line: startLine, atLineStart: startsLine });
    i = j;
  }
  if (depth > 0) throw new ZoneParseError(fileName, openLine, "'(' is never closed");
  if (current !== null) lines.push(current);
  return lines;
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `3600`, `1h30m`, `2d` → seconds, or -1 when not a TTL. */
export function parseTtl(text: string): number {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    return v <= 0x7fffffff ? v : -1;
  }
  if (!/^(\d+[smhdwSMHDW])+$/.test(text)) return -1;
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhdwSMHDW])/g)) total += Number(m[1]) * TTL_UNITS[m[2]!.toLowerCase()]!;
  return total <= 0x7fffffff ? total : -1;
}

/** Parses a master file into records. Throws `ZoneParseError`. */
export function parseZoneText(text: string, options: ParseZoneOptions = {}): ParsedZone {
  const fileName = options.fileName ?? '<zone>';
  let origin: Uint8Array | undefined;
  let defaultTtl = options.defaultTtl ?? -1;
  let lastTtl = -1;
  let lastOwner: Uint8Array | undefined;
  let firstOrigin: Uint8Array | undefined;
  const records: ZoneRecord[] = [];
  const name = (t: Token, line: number): Uint8Array => {
    try {
      return nameFromText(t.text, origin);
    } catch (err) {
      if (err instanceof NameSyntaxError) throw new ZoneParseError(fileName, line, err.message);
      throw err;
    }
  };
  if (options.origin !== undefined) {
    origin = nameFromText(options.origin.endsWith('.') ? options.origin : options.origin + '.');
    firstOrigin = origin;
  }
  for (const ll of tokenize(text, fileName)) {
    const line = ll.line;
    const fail = (reason: string): never => {
      throw new ZoneParseError(fileName, line, reason);
    };
    const toks = ll.tokens;
    const first = toks[0]!;
    if (!ll.blankOwner && first.quoted === null && first.text.startsWith('$')) {
      const directive = first.text.toUpperCase();
      if (directive === '$ORIGIN') {
        if (toks.length !== 2) fail('$ORIGIN takes exactly one absolute name');
        if (!toks[1]!.text.endsWith('.')) fail(`$ORIGIN ${toks[1]!.text} must be absolute (end with '.')`);
        origin = name(toks[1]!, line);
        firstOrigin ??= origin;
      } else if (directive === '$TTL') {
        const v = toks.length === 2 ? parseTtl(toks[1]!.text) : -1;
        if (v < 0) fail(`$TTL needs one TTL value (seconds or e.g. 1h), got '${toks.slice(1).map((t) => t.text).join(' ')}'`);
        defaultTtl = v;
      } else if (directive === '$INCLUDE') {
        fail('$INCLUDE is not supported: put the whole zone in one file');
      } else fail(`unknown directive ${first.text}`);
      continue;
    }
    let k = 0;
    let owner: Uint8Array;
    if (ll.blankOwner) {
      if (lastOwner === undefined) fail('record without owner name and no previous owner');
      owner = lastOwner!;
    } else {
      owner = name(toks[k++]!, line);
    }
    lastOwner = owner;
    let ttl = -1;
    for (let pass = 0; pass < 2 && k < toks.length; pass++) {
      const t = toks[k]!.text;
      const asTtl = parseTtl(t);
      if (ttl < 0 && asTtl >= 0 && toks[k]!.quoted === null) {
        ttl = asTtl;
        k++;
      } else if (/^(IN|CH|HS|CS)$/i.test(t)) {
        if (t.toUpperCase() !== 'IN') fail(`class ${t} is not supported: only IN`);
        k++;
      }
    }
    if (k >= toks.length) fail('missing record type');
    const typeTok = toks[k++]!;
    const type = T.parseTypeName(typeTok.text);
    if (type < 0) fail(`unknown record type '${typeTok.text}'`);
    if (ttl < 0) ttl = defaultTtl >= 0 ? defaultTtl : lastTtl;
    if (ttl < 0) fail('no TTL: give one on the record or add a $TTL line before it');
    else lastTtl = ttl;
    if (type === T.TYPE_SOA && defaultTtl < 0) defaultTtl = ttl;
    const rdata = toks.slice(k);
    try {
      records.push({ name: owner, type, ttl, data: parseRdata(type, rdata, origin, fail), line });
    } catch (err) {
      if (err instanceof NameSyntaxError || err instanceof RdataError) fail(err.message);
      throw err;
    }
  }
  const soaRec = records.find((r) => r.type === T.TYPE_SOA);
  const zoneOrigin = soaRec?.name ?? firstOrigin;
  if (zoneOrigin === undefined) throw new ZoneParseError(fileName, 1, 'cannot tell the zone origin: add $ORIGIN or an SOA record');
  return { origin: zoneOrigin, records };
}

function parseRdata(type: number, toks: Token[], origin: Uint8Array | undefined, fail: (r: string) => never): RecordData {
  const want = (n: number, what: string): void => {
    if (toks.length !== n) fail(`${T.typeName(type)} needs ${what} (${n} field${n === 1 ? '' : 's'}), got ${toks.length}`);
  };
  const nm = (t: Token): string => nameToText(nameFromText(t.text, origin));
  const int = (t: Token, max: number, what: string): number => {
    if (!/^\d+$/.test(t.text) || Number(t.text) > max) fail(`bad ${what} '${t.text}' (0-${max})`);
    return Number(t.text);
  };
  if (toks[0]?.text === '\\#' && toks[0].quoted === null) {
    const len = toks[1] ? int(toks[1], 65535, 'generic rdata length') : fail('\\# needs a length');
    const hex = toks.slice(2).map((t) => t.text).join('');
    if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== len * 2) fail(`\\# ${len}: expected ${len} bytes of hex`);
    return { kind: 'raw', bytes: Uint8Array.from(Buffer.from(hex, 'hex')) };
  }
  switch (type) {
    case T.TYPE_A: {
      want(1, 'an IPv4 address');
      if (ipv4ToBytes(toks[0]!.text) === null) fail(`bad IPv4 address '${toks[0]!.text}'`);
      return { kind: 'a', address: toks[0]!.text };
    }
    case T.TYPE_AAAA: {
      want(1, 'an IPv6 address');
      if (ipv6ToBytes(toks[0]!.text) === null) fail(`bad IPv6 address '${toks[0]!.text}'`);
      return { kind: 'aaaa', address: toks[0]!.text };
    }
    case T.TYPE_NS:
    case T.TYPE_CNAME:
    case T.TYPE_PTR:
      want(1, 'a domain name');
      return { kind: 'name', name: nm(toks[0]!) };
    case T.TYPE_MX:
      want(2, 'a preference and an exchange');
      return { kind: 'mx', preference: int(toks[0]!, 65535, 'MX preference'), exchange: nm(toks[1]!) };
    case T.TYPE_SOA: {
      want(7, 'mname rname serial refresh retry expire minimum');
      const t = (i: number, what: string): number => {
        const v = i === 2 ? (/^\d+$/.test(toks[i]!.text) && Number(toks[i]!.text) <= 0xffffffff ? Number(toks[i]!.text) : -1) : parseTtl(toks[i]!.text);
        if (v < 0) fail(`bad SOA ${what} '${toks[i]!.text}'`);
        return v;
      };
      return {
        kind: 'soa',
        mname: nm(toks[0]!),
        rname: nm(toks[1]!),
        serial: t(2, 'serial'),
        refresh: t(3, 'refresh'),
        retry: t(4, 'retry'),
        expire: t(5, 'expire'),
        minimum: t(6, 'minimum'),
      };
    }
    case T.TYPE_TXT: {
      if (toks.length === 0) fail('TXT needs at least one string');
      const strings = toks.map((t) => t.quoted ?? Uint8Array.from(Buffer.from(unescapeBare(t.text, fail), 'latin1')));
      for (const s of strings) if (s.length > 255) fail('TXT string longer than 255 bytes: split it into several quoted strings');
      return { kind: 'txt', strings };
    }
    case T.TYPE_SRV:
      want(4, 'priority weight port target');
      return {
        kind: 'srv',
        priority: int(toks[0]!, 65535, 'SRV priority'),
        weight: int(toks[1]!, 65535, 'SRV weight'),
        port: int(toks[2]!, 65535, 'SRV port'),
        target: nm(toks[3]!),
      };
    case T.TYPE_CAA: {
      want(3, 'flags tag value');
      const tag = toks[1]!.text;
      if (!/^[a-zA-Z0-9]+$/.test(tag)) fail(`bad CAA tag '${tag}' (letters and digits, RFC 8659 §4.1)`);
      const value = toks[2]!.quoted ?? Uint8Array.from(Buffer.from(toks[2]!.text, 'latin1'));
      return { kind: 'caa', flags: int(toks[0]!, 255, 'CAA flags'), tag, value };
    }
    default:
      return fail(`type ${T.typeName(type)} needs generic rdata: \\# <length> <hex>`);
  }
}

function unescapeBare(text: string, fail: (r: string) => never): string {
  return text.replace(/\\(\d{3}|.)/g, (_, e: string) => {
    if (e.length === 3) {
      if (Number(e) > 255) fail(`escape \\${e} above 255`);
      return String.fromCharCode(Number(e));
    }
    return e;
  });
}

/** Parses and builds a servable zone. Throws `ZoneParseError` (with line) or `ZoneError`. */
export function loadZone(text: string, options: ParseZoneOptions = {}): Zone {
  const parsed = parseZoneText(text, options);
  try {
    return Zone.build(parsed.origin, parsed.records);
  } catch (err) {
    if (err instanceof ZoneError) {
      const m = /\(line (\d+)\)/.exec(err.message);
      if (m !== null) throw new ZoneParseError(options.fileName ?? '<zone>', Number(m[1]), err.message);
    }
    throw err;
  }
}
