/**
 * Windowing of one input partition (pure: no I/O, no clock). Records arrive in offset order; each goes
 * to the window [t, t + windowMs) of its SAL time (t a multiple of windowMs: whole seconds for 1 s) and
 * its series (source key + group-by values, e.g. salIndex).
 *
 * Watermark = the largest SAL time seen in the partition. A window closes once the watermark passes
 * its end by the grace: start + windowMs + grace ≤ watermark, so every window starting before the
 * horizon floor((watermark − grace) / windowMs) · windowMs is closed. A record whose window starts
 * before the horizon as it stood before the record was late: counted and dropped. Lateness is decided
 * per record from the records before it, never by batch boundaries, so reading the same offsets again
 * decides the same way.
 *
 * Restart (see README "Determinism"): the state to keep is the uncommitted tail. The commit point is
 * (offset C, metadata {watermark, p}): C = the first offset of the oldest open window (or the next
 * offset when none is open), p = the next offset to read. Reading again from C with the watermark
 * restored rebuilds exactly the open windows: a record before p whose window is before the horizon was
 * already emitted or dropped (skipped, "replayed"); one after p is judged as always.
 */
import type { AggregationPlan } from './schema';
import { EMPTY_STATS, FieldStats, Samples } from './stats';

export interface InputRecord {
  /** Source Kafka key as text ('' when none). */
  key: string;
  offset: bigint;
  /** SAL time (epoch ms) of the record. */
  timeMs: number;
  /** Source schema id (its plan aggregates the record). */
  schemaId: number;
  value: Record<string, unknown>;
}

export interface Emitted {
  /** Output Kafka key: source key, group-by values, window start (one key per output record). */
  key: string;
  sourceKey: string;
  start: number;
  /** Source schema id whose plan made the record (the window's newest). */
  schemaId: number;
  value: Record<string, unknown>;
}

/** What a commit stores beside the offset (Kafka offset metadata). */
export interface Snapshot {
  /** Watermark (ms), or null before the first record. */
  wm: number | null;
  /** Next offset to read at the time of the commit. */
  p: string;
}

export type AddResult = 'added' | 'late' | 'replayed';

interface Win {
  series: string;
  sourceKey: string;
  groupKey: string;
  start: number;
  firstOffset: bigint;
  recs: InputRecord[];
}

export interface PartitionAggregatorOptions {
  /** @default 1000 */
  windowMs?: number;
  /** How far behind the watermark a record may be and still count. */
  graceMs: number;
  planOf: (schemaId: number) => AggregationPlan;
  /** Offset reading starts at (the committed one). */
  startOffset: bigint;
  /** From the commit's metadata. */
  restore?: Snapshot;
}

/** Commit metadata text of a snapshot; the inverse {@link parseSnapshot}. */
export function formatSnapshot(s: Snapshot): string {
  return JSON.stringify({ v: 1, wm: s.wm, p: s.p });
}

/** Snapshot from commit metadata; undefined when there is none or it is not ours. */
export function parseSnapshot(text: string | null | undefined): Snapshot | undefined {
  if (!text) return undefined;
  try {
    const j = JSON.parse(text) as { v?: unknown; wm?: unknown; p?: unknown };
    if (j.v !== 1 || typeof j.p !== 'string' || !/^\d+$/.test(j.p)) return undefined;
    if (j.wm !== null && (typeof j.wm !== 'number' || !Number.isFinite(j.wm))) return undefined;
    return { wm: j.wm, p: j.p };
  } catch {
    return undefined;
  }
}

/** SAL time of a decoded value in epoch ms (Date, number or bigint), or undefined. */
export function recordTimeMs(v: unknown): number | undefined {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
}

export class PartitionAggregator {
  private readonly windowMs: number;
  private readonly graceMs: number;
  private readonly planOf: (schemaId: number) => AggregationPlan;
  private readonly windows = new Map<string, Win>();
  private wm: number | null;
  private next: bigint;
  private readonly replayUntil: bigint;
  private readonly samples = new Samples();

  constructor(opts: PartitionAggregatorOptions) {
    this.windowMs = opts.windowMs ?? 1000;
    this.graceMs = opts.graceMs;
    this.planOf = opts.planOf;
    this.wm = opts.restore?.wm ?? null;
    this.next = opts.startOffset;
    this.replayUntil = opts.restore ? BigInt(opts.restore.p) : opts.startOffset;
  }

  /** The next offset this aggregator expects. */
  get nextOffset(): bigint {
    return this.next;
  }

  get watermark(): number | null {
    return this.wm;
  }

  get openWindows(): number {
    return this.windows.size;
  }

  /** Start of the oldest window still open: windows before it are closed. */
  horizon(): number {
    if (this.wm === null) return -Infinity;
    return Math.floor((this.wm - this.graceMs) / this.windowMs) * this.windowMs;
  }

  windowStart(timeMs: number): number {
    return Math.floor(timeMs / this.windowMs) * this.windowMs;
  }

  /** Adds a record (in offset order). */
  add(r: InputRecord): AddResult {
    this.next = r.offset + 1n;
    const start = this.windowStart(r.timeMs);
    if (start < this.horizon()) return r.offset < this.replayUntil ? 'replayed' : 'late';
    if (this.wm === null || r.timeMs > this.wm) this.wm = r.timeMs;
    const plan = this.planOf(r.schemaId);
    let groupKey = '';
    for (const g of plan.groupBy) groupKey += `${g}=${String(r.value[g])}/`;
    const series = `${r.key}\u0000${groupKey}`;
    const id = `${series}\u0000${start}`;
    let w = this.windows.get(id);
    if (!w) {
      w = { series, sourceKey: r.key, groupKey, start, firstOffset: r.offset, recs: [] };
      this.windows.set(id, w);
    }
    w.recs.push(r);
    return 'added';
  }

  /** Records skipped without being added (a bad record): only the read position moves. */
  skip(offset: bigint): void {
    this.next = offset + 1n;
  }

  /** Closes and aggregates every window before the horizon, by start then series. */
  closeReady(): Emitted[] {
    const h = this.horizon();
    const ready: Win[] = [];
    for (const [id, w] of this.windows) {
      if (w.start < h) {
        ready.push(w);
        this.windows.delete(id);
      }
    }
    ready.sort((a, b) => a.start - b.start || (a.series < b.series ? -1 : a.series > b.series ? 1 : 0));
    return ready.map((w) => this.aggregate(w));
  }

  /** Closes every open window regardless of the watermark (tests, end of a bounded input). */
  closeAll(): Emitted[] {
    const all = [...this.windows.values()];
    this.windows.clear();
    all.sort((a, b) => a.start - b.start || (a.series < b.series ? -1 : a.series > b.series ? 1 : 0));
    return all.map((w) => this.aggregate(w));
  }

  /** Offset to commit (once every emitted window is acknowledged) and the metadata to store with it. */
  commitPoint(): { offset: string; metadata: string; snapshot: Snapshot } {
    let c = this.next;
    for (const w of this.windows.values()) if (w.firstOffset < c) c = w.firstOffset;
    const p = this.next > this.replayUntil ? this.next : this.replayUntil;
    const snapshot = { wm: this.wm, p: p.toString() };
    return { offset: c.toString(), metadata: formatSnapshot(snapshot), snapshot };
  }

  private aggregate(w: Win): Emitted {
    const recs = w.recs;
    const schemaId = recs[recs.length - 1].schemaId;
    const plan = this.planOf(schemaId);
    // by time, then offset (the array is in offset order; the sort is stable)
    const byTime = recs.slice().sort((a, b) => a.timeMs - b.timeMs);
    const out: Record<string, unknown> = { time: w.start, count: recs.length };
    for (const f of plan.last) {
      let v: unknown = null;
      for (let i = byTime.length - 1; i >= 0; i--) {
        const x = byTime[i].value[f.name];
        if (x !== null && x !== undefined) {
          v = x;
          break;
        }
      }
      out[f.out] = v;
    }
    const s = this.samples;
    for (const f of plan.stats) {
      if (!f.array) {
        s.reset();
        for (let i = 0; i < recs.length; i++) s.add(recs[i].value[f.name]);
        put(out, f.out, s.stats());
        continue;
      }
      let len = -1;
      for (const r of recs) {
        const a = r.value[f.name];
        if (Array.isArray(a) && a.length > len) len = a.length;
      }
      if (len < 0) {
        put(out, f.out, EMPTY_STATS);
        continue;
      }
      const cols: Record<string, (number | null)[]> = {};
      for (const k of Object.values(f.out)) cols[k] = new Array<number | null>(len);
      for (let e = 0; e < len; e++) {
        s.reset();
        for (let i = 0; i < recs.length; i++) {
          const a = recs[i].value[f.name];
          if (Array.isArray(a) && e < a.length) s.add(a[e]);
        }
        const st = s.stats();
        for (const k in f.out) cols[f.out[k as keyof FieldStats]][e] = st[k as keyof FieldStats];
      }
      for (const k of Object.values(f.out)) out[k] = cols[k];
    }
    return { key: `${w.sourceKey}/${w.groupKey}${w.start}`, sourceKey: w.sourceKey, start: w.start, schemaId, value: out };
  }
}

function put(out: Record<string, unknown>, names: Record<keyof FieldStats, string>, st: FieldStats): void {
  out[names.count] = st.count;
  out[names.min] = st.min;
  out[names.max] = st.max;
  out[names.mean] = st.mean;
  out[names.median] = st.median;
  out[names.stdev] = st.stdev;
}
