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
  private readonly tagStarts = new Map<string, number[]>();

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
    const start = this.startTags(tag, within)[n];
    if (start === undefined) return undefined;
    // self-closing when the start tag's ">" follows a "/"
    const gt = this.text.indexOf('>', start);
    if (gt >= 0 && gt < within.end && this.text.charCodeAt(gt - 1) === 47) return { start, end: gt + 1 };
    const close = this.text.indexOf(`</${tag}>`, start);
    return { start, end: close < 0 || close > within.end ? within.end : close + tag.length + 3 };
  }

  /**
   * Offsets of every `<tag>` start tag inside `within`, found in one scan and kept: the reader asks for
   * the 0th, 1st, … element of a span in turn (rescanning from the span's start made that quadratic).
   */
  private startTags(tag: string, within: Span): number[] {
    const key = `${tag} ${within.start} ${within.end}`;
    let starts = this.tagStarts.get(key);
    if (!starts) {
      starts = [];
      const open = new RegExp(`<${escapeRegExp(tag)}(?=[\\s/>])`, 'g');
      open.lastIndex = within.start;
      for (let m = open.exec(this.text); m && m.index < within.end; m = open.exec(this.text)) starts.push(m.index);
      this.tagStarts.set(key, starts);
    }
    return starts;
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
