import { PartitionBuffer, type FlushBounds } from './buffer';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 9, 7, 0, 0);
const bounds: FlushBounds = { maxRecords: 3, maxBytes: 1000, maxAgeMs: 5000, partitionBy: 'hour' };
const rec = (offset: number, o: { timeMs?: number; schemaId?: number; bytes?: number } = {}) => ({
  offset: String(offset),
  timeMs: o.timeMs ?? T0 + offset,
  schemaId: o.schemaId ?? 1,
  bytes: o.bytes ?? 10,
  row: { offset },
});

describe('PartitionBuffer (what becomes one Parquet object, and what may be committed)', () => {
  it("closes an object at maxRecords; commits after it, or at the open object's first offset", () => {
    const b = new PartitionBuffer<{ offset: number }>('t', 0, bounds);
    expect(b.commitOffset()).toBeUndefined();
    expect(b.add(rec(10), 0)).toEqual([]);
    expect(b.commitOffset()).toBe('10');
    expect(b.add(rec(11), 0)).toEqual([]);
    const closed = b.add(rec(12), 0);
    expect(closed).toHaveLength(1);
    expect(closed[0].reason).toBe('records');
    expect(closed[0].file).toMatchObject({ firstOffset: '10', lastOffset: '12', schemaId: 1, folderMs: T0, bytes: 30 });
    expect(closed[0].file.rows.map((r) => r.offset)).toEqual([10, 11, 12]);
    expect(b.commitOffset()).toBe('13');
    b.add(rec(13), 0);
    expect(b.commitOffset()).toBe('13');
  });

  it('closes at maxBytes', () => {
    const b = new PartitionBuffer('t', 0, bounds);
    expect(b.add(rec(0, { bytes: 600 }), 0)).toEqual([]);
    expect(b.add(rec(1, { bytes: 400 }), 0).map((c) => [c.reason, c.file.lastOffset])).toEqual([['bytes', '1']]);
  });

  it('starts a new object on a schema change mid-stream and on another hour (a late record too)', () => {
    const b = new PartitionBuffer('t', 0, { ...bounds, maxRecords: 100 });
    b.add(rec(0), 0);
    b.add(rec(1), 0);
    const s = b.add(rec(2, { schemaId: 2 }), 0);
    expect(s.map((c) => [c.reason, c.file.firstOffset, c.file.lastOffset, c.file.schemaId])).toEqual([['schema', '0', '1', 1]]);
    const h = b.add(rec(3, { schemaId: 2, timeMs: T0 + H }), 0);
    expect(h.map((c) => [c.reason, c.file.firstOffset, c.file.lastOffset, c.file.folderMs])).toEqual([['time-folder', '2', '2', T0]]);
    const late = b.add(rec(4, { schemaId: 2, timeMs: T0 + 5 }), 0);
    expect(late.map((c) => [c.reason, c.file.firstOffset, c.file.folderMs])).toEqual([['time-folder', '3', T0 + H]]);
    expect(b.open).toMatchObject({ firstOffset: '4', folderMs: T0 });
  });

  it('with day folders, other hours of the same day share an object', () => {
    const b = new PartitionBuffer('t', 0, { ...bounds, maxRecords: 100, partitionBy: 'day' });
    b.add(rec(0), 0);
    expect(b.add(rec(1, { timeMs: T0 + 5 * H }), 0)).toEqual([]);
    expect(b.add(rec(2, { timeMs: T0 + 17 * H }), 0).map((c) => c.reason)).toEqual(['time-folder']);
  });

  it('is due maxAgeMs after its first record arrived', () => {
    const b = new PartitionBuffer('t', 0, bounds);
    b.add(rec(0), 1000);
    b.add(rec(1), 5000);
    expect(b.due(5999)).toBeUndefined();
    expect(b.due(6000)?.firstOffset).toBe('0');
    expect(b.take()?.rows).toHaveLength(2);
    expect(b.due(99_999)).toBeUndefined();
    expect(b.commitOffset()).toBe('2');
  });

  it('a dead-lettered record is taken in; reset forgets everything (revoked partition)', () => {
    const b = new PartitionBuffer('t', 0, bounds);
    b.skip('7');
    expect(b.commitOffset()).toBe('8');
    b.add(rec(8), 0);
    b.skip('9');
    expect(b.commitOffset()).toBe('8');
    b.take();
    expect(b.commitOffset()).toBe('10');
    b.add(rec(10), 0);
    b.reset();
    expect(b.open).toBeUndefined();
    expect(b.commitOffset()).toBeUndefined();
  });
});
