/**
 * The object layout of the EFD's Parquet copy, one rule for both writers: the parquet-sink app
 * (apps/parquet-sink, {@link objectKey}) and the Aiven connectors (constructs/connectors/
 * object-store-sink-connector.ts, {@link fileNameTemplate}). Hive-style time folders, so DuckDB, Dask
 * and pyarrow prune by time:
 *
 *   `<prefix><topic>/year=YYYY/month=MM/day=DD[/hour=HH]/<topic>-<partition>-<start offset>.parquet`
 *
 * The partition is padded to 10 digits and the start offset to 20 (Aiven's `padding=true`), so the
 * names of one folder sort in offset order. Times are UTC.
 */

export type PartitionBy = 'day' | 'hour';

/** Aiven's `file.name.template` for this layout (its `timestamp` variable, `padding=true`). */
export function fileNameTemplate(partitionBy: PartitionBy): string {
  const t = (unit: string) => `{{timestamp:unit=${unit}}}`;
  const hour = partitionBy === 'hour' ? `/hour=${t('HH')}` : '';
  return `{{topic}}/year=${t('yyyy')}/month=${t('MM')}/day=${t('dd')}${hour}/{{topic}}-{{partition:padding=true}}-{{start_offset:padding=true}}.parquet`;
}

const pad = (n: number | string, width: number) => String(n).padStart(width, '0');

/** The time folders of `timeMs` (UTC): `year=YYYY/month=MM/day=DD[/hour=HH]`. */
export function timeFolder(timeMs: number, partitionBy: PartitionBy = 'hour'): string {
  if (!Number.isFinite(timeMs)) throw new Error(`object time must be a finite epoch-ms value, got ${timeMs}`);
  const d = new Date(timeMs);
  const day = `year=${pad(d.getUTCFullYear(), 4)}/month=${pad(d.getUTCMonth() + 1, 2)}/day=${pad(d.getUTCDate(), 2)}`;
  return partitionBy === 'hour' ? `${day}/hour=${pad(d.getUTCHours(), 2)}` : day;
}

/** Start of the time folder holding `timeMs` (epoch ms): the hour or the UTC day. */
export function folderStartMs(timeMs: number, partitionBy: PartitionBy = 'hour'): number {
  const unit = partitionBy === 'hour' ? 3_600_000 : 86_400_000;
  return Math.floor(timeMs / unit) * unit;
}

export interface ObjectKeyParts {
  /** '' or a folder such as `efd/` (no leading "/", trailing "/"). */
  prefix: string;
  topic: string;
  partition: number;
  /** Kafka offset of the object's first record (decimal string or number). */
  startOffset: string | number | bigint;
  /** Any time inside the object's time folder (epoch ms). */
  timeMs: number;
  partitionBy?: PartitionBy;
}

/** The object name of a Parquet file (see the module doc); deterministic from topic, partition, first offset and time folder. */
export function objectKey(p: ObjectKeyParts): string {
  if (p.prefix && (!p.prefix.endsWith('/') || p.prefix.startsWith('/')))
    throw new Error(`object prefix must look like "efd/raw/" (no leading "/", a trailing "/"), got "${p.prefix}"`);
  const offset = String(p.startOffset);
  if (!/^\d+$/.test(offset)) throw new Error(`start offset must be a non-negative integer, got "${offset}"`);
  if (!Number.isInteger(p.partition) || p.partition < 0) throw new Error(`partition must be an integer ≥ 0, got ${p.partition}`);
  return `${p.prefix}${p.topic}/${timeFolder(p.timeMs, p.partitionBy)}/${p.topic}-${pad(p.partition, 10)}-${pad(offset, 20)}.parquet`;
}

/** The parts of an object name made by {@link objectKey} (undefined for another name). */
export function parseObjectKey(
  key: string,
):
  | { prefix: string; topic: string; year: number; month: number; day: number; hour?: number; partition: number; startOffset: string }
  | undefined {
  const m = /^(.*?)([^/]+)\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})(?:\/hour=(\d{2}))?\/([^/]+)-(\d{10})-(\d{20})\.parquet$/.exec(key);
  if (!m || m[7] !== m[2]) return undefined;
  return {
    prefix: m[1],
    topic: m[2],
    year: Number(m[3]),
    month: Number(m[4]),
    day: Number(m[5]),
    ...(m[6] !== undefined ? { hour: Number(m[6]) } : {}),
    partition: Number(m[8]),
    startOffset: BigInt(m[9]).toString(),
  };
}
