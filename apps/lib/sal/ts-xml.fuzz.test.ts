/**
 * Fuzz: the ts_xml reader on random edits of every in-repo fixture file (cuts, deletions, insertions of
 * markup characters and non-UTF-8 bytes, duplicated and swapped lines). Bounded: a fixed count of
 * edits from a fixed seed, each read timed (the fastest of up to three when one is slow). Whatever the edit, the reader does not throw or hang, every
 * error names the file and a line and says what to do, every topic left out says why, and an edit that
 * gives no error loses no topic element and no item.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { mulberry32 } from '../prng';
import { TS_XML_FIXTURES } from './test-fixtures';
import { discoverXmlFiles, parseTsXml, TsXmlParse } from './ts-xml';
import { decodeUtf8 } from './xml-text';
import { fastestMs } from '../../../test/hang';
import { cutAt, deleteAt, insertAt, pick, type Rng } from '../../../test/fuzz-edit';

const EDITS_PER_FILE = 40;
const SLOW_MS = 1000;
const MARKUP = ['<', '>', '/', '&', '"', "'", '=', '!', '-', '?', '[', ']', '<!--', '-->', '</', '/>', '&amp;', '&bogus;', ' '];

const at = (r: Rng, b: Buffer) => Math.floor(r() * (b.length + 1));

/** One random edit of a file's bytes, and its name (for the failure message). */
function edit(r: Rng, src: Buffer): [string, Buffer] {
  const b = Buffer.from(src);
  const i = at(r, b);
  switch (Math.floor(r() * 7)) {
    case 0:
      return cutAt(b, i);
    case 1:
      return deleteAt(b, i, 1 + Math.floor(r() * 20));
    case 2:
      return insertAt(b, i, pick(r, MARKUP));
    case 3: {
      const byte = pick(r, [0x80, 0xc3, 0xe9, 0xff, 0xfe, 0xed, 0xf8, 0x00]);
      return [`byte 0x${byte.toString(16)} at ${i}`, Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)])];
    }
    case 4: {
      const lines = b.toString('latin1').split('\n');
      const k = Math.floor(r() * lines.length);
      lines.splice(k, 0, lines[k]);
      return [`duplicate line ${k + 1}`, Buffer.from(lines.join('\n'), 'latin1')];
    }
    case 5: {
      const lines = b.toString('latin1').split('\n');
      const k = Math.floor(r() * (lines.length - 1));
      [lines[k], lines[k + 1]] = [lines[k + 1], lines[k]];
      return [`swap lines ${k + 1} and ${k + 2}`, Buffer.from(lines.join('\n'), 'latin1')];
    }
    default: {
      const tags = [...b.toString('latin1').matchAll(/<\/?([A-Za-z_]+)/g)];
      const m = pick(r, tags);
      const j = m.index! + m[0].length - 1;
      b[j] = pick(r, [0x78, 0x2d, 0x20, 0x3e]);
      return [`change tag ${m[1]} at ${j}`, b];
    }
  }
}

/** Reads bytes as the folder loader does (strict UTF-8, then parse). */
function read(bytes: Buffer, file: string): TsXmlParse | { errors: ReturnType<typeof decodeUtf8>[] } {
  const text = decodeUtf8(bytes, file);
  return typeof text === 'string' ? parseTsXml(text, file) : { errors: [text] };
}

const files = discoverXmlFiles(TS_XML_FIXTURES);

describe('ts_xml reader fuzz (random edits of the in-repo fixtures)', () => {
  it('finds the fixture files', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files.map((f) => [relative(TS_XML_FIXTURES, f), f]))('%s: no crash, no hang, every rejection with a reason', (_rel, path) => {
    const src = readFileSync(path);
    const original = parseTsXml(src.toString('utf8'), path);
    expect(original.errors).toEqual([]);
    const topics = original.file.topics.length;
    const items = original.file.topics.reduce((n, t) => n + t.items.length, 0);
    const r = mulberry32(src.length * 7919 + topics);
    const problems: string[] = [];
    let rejected = 0;
    for (let k = 0; k < EDITS_PER_FILE; k++) {
      const [what, bytes] = edit(r, src);
      const lineCount = bytes.toString('latin1').split('\n').length;
      const t0 = performance.now();
      let got: ReturnType<typeof read>;
      try {
        got = read(bytes, path);
      } catch (err) {
        problems.push(`${what}: threw ${(err as Error).stack}`);
        continue;
      }
      const ms = fastestMs(performance.now() - t0, () => read(bytes, path), SLOW_MS);
      if (ms > SLOW_MS) problems.push(`${what}: took ${ms.toFixed(0)} ms`);
      for (const e of got.errors) {
        if (typeof e === 'string') continue;
        if (e.file !== path || !e.message || !e.fix) problems.push(`${what}: error without file, message or fix: ${JSON.stringify(e)}`);
        if (e.line === undefined || !Number.isInteger(e.line) || e.line < 1 || e.line > lineCount)
          problems.push(`${what}: error without a line in 1..${lineCount}: ${JSON.stringify(e)}`);
      }
      if (got.errors.length > 0) rejected++;
      if (!('file' in got)) continue;
      for (const t of got.file.rejected)
        if (t.reasons.length === 0) problems.push(`${what}: topic left out without a reason (line ${t.line})`);
      if (got.errors.length === 0) {
        const kept = got.file.topics.length;
        const keptItems = got.file.topics.reduce((n, t) => n + t.items.length, 0);
        if (kept !== topics || keptItems !== items)
          problems.push(`${what}: no error, but ${kept}/${topics} topics and ${keptItems}/${items} items`);
      }
    }
    expect(problems).toEqual([]);
    expect(rejected).toBeGreaterThan(0); // the edits do break files
  });
});
