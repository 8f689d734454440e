import { fileNameTemplate, folderStartMs, objectKey, parseObjectKey, timeFolder } from './object-store-layout';

describe('object layout (one rule for the parquet-sink and the Aiven connectors)', () => {
  const t = Date.UTC(2026, 0, 9, 7, 59, 59, 999); // 2026-01-09T07:59:59.999Z

  it('names an object by topic, UTC hour folder, padded partition and start offset', () => {
    expect(objectKey({ prefix: 'efd/', topic: 'lsst.sal.ATDome_position', partition: 3, startOffset: '1234', timeMs: t })).toBe(
      'efd/lsst.sal.ATDome_position/year=2026/month=01/day=09/hour=07/lsst.sal.ATDome_position-0000000003-00000000000000001234.parquet',
    );
    expect(objectKey({ prefix: '', topic: 'x', partition: 0, startOffset: 0n, timeMs: t, partitionBy: 'day' })).toBe(
      'x/year=2026/month=01/day=09/x-0000000000-00000000000000000000.parquet',
    );
  });

  it('cuts folders on whole UTC hours and days', () => {
    expect(timeFolder(t)).toBe('year=2026/month=01/day=09/hour=07');
    expect(timeFolder(t + 1)).toBe('year=2026/month=01/day=09/hour=08');
    expect(timeFolder(Date.UTC(2025, 11, 31, 23, 59, 59, 999), 'day')).toBe('year=2025/month=12/day=31');
    expect(folderStartMs(t)).toBe(Date.UTC(2026, 0, 9, 7));
    expect(folderStartMs(t, 'day')).toBe(Date.UTC(2026, 0, 9));
  });

  it('sorts the names of one folder in offset order', () => {
    const keys = [10, 9, 100, 2].map((o) => objectKey({ prefix: '', topic: 'a', partition: 1, startOffset: o, timeMs: t }));
    expect([...keys].sort().map((k) => parseObjectKey(k)!.startOffset)).toEqual(['2', '9', '10', '100']);
  });

  it('parses its own names back, and nothing else', () => {
    const k = objectKey({ prefix: 'efd/raw/', topic: 'lsst.efd.agg.X_y', partition: 12, startOffset: '98765432109876543', timeMs: t });
    expect(parseObjectKey(k)).toEqual({
      prefix: 'efd/raw/',
      topic: 'lsst.efd.agg.X_y',
      year: 2026,
      month: 1,
      day: 9,
      hour: 7,
      partition: 12,
      startOffset: '98765432109876543',
    });
    expect(parseObjectKey('efd/a/year=2026/month=01/day=09/b-0000000000-00000000000000000000.parquet')).toBeUndefined();
  });

  it('refuses a bad prefix, offset or partition with what was expected', () => {
    const base = { prefix: '', topic: 'a', partition: 0, startOffset: '1', timeMs: t };
    expect(() => objectKey({ ...base, prefix: 'efd' })).toThrow(
      'object prefix must look like "efd/raw/" (no leading "/", a trailing "/"), got "efd"',
    );
    expect(() => objectKey({ ...base, startOffset: '-1' })).toThrow('start offset must be a non-negative integer, got "-1"');
    expect(() => objectKey({ ...base, partition: 1.5 })).toThrow('partition must be an integer ≥ 0, got 1.5');
    expect(() => objectKey({ ...base, timeMs: NaN })).toThrow('object time must be a finite epoch-ms value, got NaN');
  });

  it('gives the Aiven connector the same layout through its file.name.template', () => {
    expect(fileNameTemplate('hour')).toBe(
      '{{topic}}/year={{timestamp:unit=yyyy}}/month={{timestamp:unit=MM}}/day={{timestamp:unit=dd}}/hour={{timestamp:unit=HH}}/{{topic}}-{{partition:padding=true}}-{{start_offset:padding=true}}.parquet',
    );
    expect(fileNameTemplate('day')).not.toContain('hour=');
  });
});
