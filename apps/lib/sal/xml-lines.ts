/**
 * Best-effort source positions for a parsed XML document.
 *
 * fast-xml-parser does not report where an element came from, so errors are
 * located by scanning the raw text: the n-th start tag of an element inside a
 * span is the n-th element of that name the parser returned for that span.
 * Comments are blanked first (keeping newlines) so commented-out tags do not count.
 */

/** A half-open character range of the document. */
export interface Span {
  start: number;
  end: number;
}

/** Blanks XML comments, keeping every newline so offsets and lines stay valid. */
function maskComments(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Offsets of start tags and lines in one XML text. */
export class XmlLocator {
  private readonly text: string;
  private readonly lineStarts: number[] = [0];

  constructor(raw: string) {
    this.text = maskComments(raw);
    for (let i = 0; i < raw.length; i++) if (raw[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** The whole document. */
  get all(): Span {
    return { start: 0, end: this.text.length };
  }

  /** 1-based line number of a character offset. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Span of the n-th (0-based) `<tag>` element inside `within`, from its start tag to its end tag. */
  element(tag: string, n: number, within: Span): Span | undefined {
    const open = new RegExp(`<${escapeRegExp(tag)}(?=[\\s/>])`, 'g');
    open.lastIndex = within.start;
    let match: RegExpExecArray | null = null;
    for (let i = 0; i <= n; i++) {
      match = open.exec(this.text);
      if (!match || match.index >= within.end) return undefined;
    }
    const start = match!.index;
    const selfClosing = /^[^>]*\/>/.exec(this.text.slice(start, within.end));
    if (selfClosing) return { start, end: start + selfClosing[0].length };
    const close = this.text.indexOf(`</${tag}>`, start);
    return { start, end: close < 0 || close > within.end ? within.end : close + tag.length + 3 };
  }

  /** Offset of the first occurrence of `needle` inside `within`, if any. */
  find(needle: string, within: Span): number | undefined {
    const i = this.text.indexOf(needle, within.start);
    return i >= 0 && i < within.end ? i : undefined;
  }

  /** Line of the first `<tag>` inside `within`, else the line where `within` starts. */
  lineOfChild(tag: string, within: Span): number {
    const child = this.element(tag, 0, within);
    return this.lineAt(child ? child.start : within.start);
  }
}
