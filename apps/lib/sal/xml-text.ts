/**
 * The raw text of a ts_xml file before it is parsed: strict UTF-8 decoding (a bad byte is an error
 * naming its line and byte offset, never a silent U+FFFD) and well-formedness errors that name the
 * real line, the topic and field they fall in, and what to do — fast-xml-parser's validator reports a
 * file cut short at line 1 with an internal message, so open elements are found here instead.
 */
import { XMLValidator } from 'fast-xml-parser';
import { SalSchemaError } from './errors';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Byte offset of the first byte that is not valid UTF-8, or -1 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF). */
export function invalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (i + 1 >= b.length || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/** Decodes a file's bytes as UTF-8; an error naming file, line and byte offset when a byte is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array, file: string): string | SalSchemaError {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const at = invalidUtf8Offset(bytes);
    const offset = at < 0 ? 0 : at;
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    const hex = bytes[offset]?.toString(16).padStart(2, '0') ?? '??';
    return {
      file,
      line,
      message: `byte 0x${hex} at byte offset ${offset} is not UTF-8 (ts_xml files are UTF-8)`,
      fix: 'convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8) or replace the character',
    };
  }
}

interface OpenElement {
  name: string;
  offset: number;
}

const MARKUP =
  /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<\?[\s\S]*?(?:\?>|$)|<!(?!--|\[CDATA\[)[^>]*>|<(\/?)([A-Za-z_][\w.:-]*)((?:[^<>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;

/** Elements open at `until` (outermost first): the start tags not yet closed by then. */
export function openElements(text: string, until = text.length): OpenElement[] {
  const stack: OpenElement[] = [];
  MARKUP.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = MARKUP.exec(text)) !== null && m.index < until) {
    if (m[2] === undefined || m[4] === '/') continue;
    if (m[1] === '/') {
      const k = stack.map((e) => e.name).lastIndexOf(m[2]);
      if (k >= 0) stack.length = k;
    } else stack.push({ name: m[2], offset: m.index });
  }
  return stack;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function offsetOf(text: string, line: number, col: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  return Math.min(text.length, off + Math.max(0, col - 1));
}

const TOPIC_TAGS = new Set(['SALCommand', 'SALEvent', 'SALTelemetry']);

/** EFDB_Topic / EFDB_Name of the innermost open topic and item, as far as the text before `until` tells. */
function context(text: string, open: OpenElement[], until: number): { topic?: string; field?: string } {
  const childText = (tag: string, el?: OpenElement) => {
    if (!el) return undefined;
    const m = new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`).exec(text.slice(el.offset, until));
    return m?.[1] || undefined;
  };
  const topicEl = [...open].reverse().find((e) => TOPIC_TAGS.has(e.name));
  const itemEl = [...open].reverse().find((e) => e.name === 'item');
  const out: { topic?: string; field?: string } = {};
  const topic = childText('EFDB_Topic', topicEl);
  const field = childText('EFDB_Name', itemEl);
  if (topic) out.topic = topic;
  if (field) out.field = field;
  return out;
}

/** Line of the last character that is not white space (where a cut-short file really ends). */
function lastContentLine(text: string): number {
  return lineAt(text, text.trimEnd().length - 1);
}

/**
 * Checks the text is well-formed XML; undefined when it is, else an error (without `file`) at the real
 * line, with the topic and field it falls in and a fix.
 */
export function wellFormedError(text: string): Omit<SalSchemaError, 'file'> | undefined {
  const valid = XMLValidator.validate(text);
  if (valid === true) return undefined;
  const { msg, line, col } = valid.err;
  if (text.trim() === '') return { line: 1, message: 'the file is empty', fix: 'restore its content from the ts_xml release it came from' };
  if (/^Start tag expected/.test(msg) && openElements(text).length === 0) {
    return { line: 1, message: 'the file holds no XML element', fix: 'restore its content from the ts_xml release it came from' };
  }
  const endsOpen = /^Invalid '\[/.test(msg) || /^Unclosed tag/.test(msg);
  const open = openElements(text);
  if (endsOpen && open.length > 0) {
    const names = [...open].reverse().map((e) => `<${e.name}> (line ${lineAt(text, e.offset)})`);
    const closers = [...open]
      .reverse()
      .map((e) => `</${e.name}>`)
      .join('');
    return {
      line: lastContentLine(text),
      ...context(text, open, text.length),
      message: `the file ends inside ${names.join(' in ')}: it is cut short or end tags are missing`,
      fix: `restore the rest of the file from the ts_xml release it came from, or close the elements (${closers})`,
    };
  }
  const at = offsetOf(text, line, col ?? 1);
  const cutShort = line >= lastContentLine(text) ? ' (this is the last line: the file may be cut short)' : '';
  return {
    line,
    ...context(text, openElements(text, at), at),
    message: `not well-formed XML${col ? ` at column ${col}` : ''}: ${msg}${cutShort}`,
    fix: 'correct the markup at that line',
  };
}
