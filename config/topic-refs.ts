/**
 * Kafka resource names as an ACL takes them: a literal name or a prefix. The apps select topics by
 * whole-name regex (`lsst[.]sal[.].*`, `summit[.](?:lsst[.]sal[.].*)`), and Kafka ACLs know only
 * literal names and prefixes, so {@link topicRefsOf} turns a regex into the smallest set of them that
 * covers every name the regex matches: the literal text up to the first part that is not literal.
 * A regex that would need a prefix of nothing (every topic) is refused, naming it.
 */

/** LITERAL: exactly this name; PREFIXED: every name starting with it. */
export type PatternType = 'LITERAL' | 'PREFIXED';

/** A topic or group as an ACL names it. */
export interface ResourceRef {
  readonly name: string;
  readonly pattern: PatternType;
}

export const literal = (name: string): ResourceRef => ({ name, pattern: 'LITERAL' });
export const prefixed = (name: string): ResourceRef => {
  if (!name) throw new Error('a prefix of nothing would match every name: name the resources');
  return { name, pattern: 'PREFIXED' };
};

/** Whether `ref` allows the resource `name`. */
export function refMatches(ref: ResourceRef, name: string): boolean {
  return ref.pattern === 'LITERAL' ? ref.name === name : name.startsWith(ref.name);
}

/** Whether `outer` allows every name `inner` does. */
export function refCovers(outer: ResourceRef, inner: ResourceRef): boolean {
  return outer.pattern === 'LITERAL' ? inner.pattern === 'LITERAL' && inner.name === outer.name : inner.name.startsWith(outer.name);
}

/** Sorted, without a ref that another one covers. */
export function normalizeRefs(refs: readonly ResourceRef[]): ResourceRef[] {
  const uniq = [...new Map(refs.map((r) => [`${r.pattern}\0${r.name}`, r])).values()];
  return uniq.filter((r) => !uniq.some((o) => o !== r && refCovers(o, r))).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
const key = (r: ResourceRef) => `${r.name}\0${r.pattern}`;

/** One alternative of a parsed regex: the literal text so far; `open` once anything may follow. */
interface Branch {
  text: string;
  open: boolean;
}

const LITERAL_CHAR = /[A-Za-z0-9_-]/;
const QUANTIFIER = /[*+?{]/;

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Branch[] {
    const r = this.alternatives();
    if (this.i < this.src.length) throw this.fail(`unexpected "${this.src[this.i]}"`);
    return r;
  }

  private fail(why: string): Error {
    return new Error(`topic regex "${this.src}" at ${this.i}: ${why}`);
  }

  private alternatives(): Branch[] {
    const out = this.sequence();
    while (this.src[this.i] === '|') {
      this.i++;
      out.push(...this.sequence());
    }
    return out;
  }

  private sequence(): Branch[] {
    let acc: Branch[] = [{ text: '', open: false }];
    const s = this.src;
    while (this.i < s.length && s[this.i] !== '|' && s[this.i] !== ')') {
      const c = s[this.i];
      if (c === '^' && this.i === 0) {
        this.i++;
        continue;
      }
      if (c === '$' && (this.i === s.length - 1 || s[this.i + 1] === ')' || s[this.i + 1] === '|')) {
        this.i++;
        continue;
      }
      let atom: Branch[];
      if (c === '(') {
        this.i++;
        if (s.startsWith('?:', this.i)) this.i += 2;
        else if (s[this.i] === '?') throw this.fail('only plain and (?:…) groups are understood');
        atom = this.alternatives();
        if (s[this.i] !== ')') throw this.fail('unclosed group');
        this.i++;
      } else if (c === '\\') {
        const n = s[this.i + 1];
        if (n === undefined) throw this.fail('trailing "\\"');
        this.i += 2;
        atom = /[A-Za-z0-9]/.test(n) ? [{ text: '', open: true }] : [{ text: n, open: false }];
      } else if (c === '[') {
        const end = s.indexOf(']', this.i + 1);
        if (end < 0) throw this.fail('unclosed "["');
        const body = s.slice(this.i + 1, end);
        this.i = end + 1;
        const one = body.length === 1 && body !== '^' ? body : body.length === 2 && body[0] === '\\' ? body[1] : undefined;
        atom = one !== undefined ? [{ text: one, open: false }] : [{ text: '', open: true }];
      } else if (LITERAL_CHAR.test(c)) {
        this.i++;
        atom = [{ text: c, open: false }];
      } else {
        // `.`, a quantifier without its atom, or anything else: from here on, any name
        this.i++;
        atom = [{ text: '', open: true }];
      }
      const q = s[this.i];
      if (q !== undefined && QUANTIFIER.test(q)) {
        if (q === '{') {
          const end = s.indexOf('}', this.i);
          if (end < 0) throw this.fail('unclosed "{"');
          this.i = end + 1;
        } else this.i++;
        if (s[this.i] === '?' || s[this.i] === '+') this.i++; // lazy / possessive
        // optional: the atom or nothing; repeated: the atom, then anything
        atom =
          q === '?'
            ? [{ text: '', open: false }, ...atom]
            : atom.map((b) => ({ text: b.text, open: true })).concat({ text: '', open: true });
      }
      acc = acc.flatMap((b) => (b.open ? [b] : atom.map((a) => ({ text: b.text + a.text, open: a.open }))));
    }
    return acc;
  }
}

/**
 * The literal names and prefixes that together allow every topic whole-name `regex` matches, and as
 * little else as prefixes can say. `anyPrefix` expands a leading `(.+\.)?` / `(?:.+\.)?` (topic
 * policies: "under any prefix") into the prefixes a site has (`['', 'summit.']`). Throws naming the
 * regex when a part would need the empty prefix (every topic).
 */
export function topicRefsOf(regex: string, anyPrefix: readonly string[] = ['']): ResourceRef[] {
  let src = regex;
  const lead = /^\^?\((?:\?:)?\.\+\\\.\)\?/.exec(src);
  if (lead) {
    const alts = anyPrefix.map((p) => p.replace(/[.*+?^${}()|[\]\\-]/g, (ch) => `\\${ch}`));
    src = `(?:${alts.join('|')})${src.slice(lead[0].length)}`;
  }
  const branches = new Parser(src).parse();
  const refs = branches.map((b) => {
    if (b.open && !b.text)
      throw new Error(`topic regex "${regex}" can match any topic name: Kafka ACLs need a literal start (e.g. lsst[.]sal[.].*)`);
    return b.open ? prefixed(b.text) : literal(b.text);
  });
  return normalizeRefs(refs);
}
