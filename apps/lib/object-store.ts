/**
 * Objects in a bucket by URL, for the InfluxDB backups: `s3://bucket/prefix/` (@aws-sdk/client-s3; the
 * AWS default credential chain; `endpoint` for an S3-compatible server, path-style) or `gs://bucket/prefix/`
 * (@google-cloud/storage; application default credentials; `endpoint` for the emulator, no credentials).
 * List, get, put and delete under the URL's prefix. (apps/parquet-sink/stores.ts writes Parquet objects
 * with the same clients, put only.)
 */
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { UsageError } from './exit-codes';

export interface BucketLocation {
  kind: 's3' | 'gcs';
  bucket: string;
  /** '' or a folder ending in "/". */
  prefix: string;
}

/** `s3://bucket/some/folder` → { kind: 's3', bucket, prefix: 'some/folder/' }; undefined for anything else. */
export function parseBucketUrl(url: string): BucketLocation | undefined {
  const m = /^(s3|gs):\/\/([a-z0-9][a-z0-9._-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) return undefined;
  const rest = (m[3] ?? '').replace(/^\/+/, '');
  return { kind: m[1] === 's3' ? 's3' : 'gcs', bucket: m[2], prefix: rest && !rest.endsWith('/') ? `${rest}/` : rest };
}

export interface Bucket {
  readonly url: string;
  /** Keys under `prefix` (relative to the bucket), sorted. */
  list(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  put(key: string, body: Buffer): Promise<void>;
  delete(keys: string[]): Promise<void>;
}

export interface BucketOptions {
  /** An S3-compatible server or the GCS emulator. */
  endpoint?: string;
  /** S3 region. @default us-east-1 */
  region?: string;
}

export function openBucket(loc: BucketLocation, o: BucketOptions = {}): Bucket {
  const url = `${loc.kind === 's3' ? 's3' : 'gs'}://${loc.bucket}/${loc.prefix}`;
  if (loc.kind === 's3') {
    const client = new S3Client({
      region: o.region ?? 'us-east-1',
      ...(o.endpoint ? { endpoint: o.endpoint, forcePathStyle: true } : {}),
      maxAttempts: 3,
    });
    return {
      url,
      async list(prefix) {
        const keys: string[] = [];
        let token: string | undefined;
        do {
          const r = await client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix, ContinuationToken: token }));
          keys.push(...(r.Contents ?? []).map((c) => c.Key as string));
          token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
        return keys.sort();
      },
      async get(key) {
        const r = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
        return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      },
      async put(key, body) {
        await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: body, ContentLength: body.length }));
      },
      async delete(keys) {
        for (let i = 0; i < keys.length; i += 1000) {
          await client.send(
            new DeleteObjectsCommand({ Bucket: loc.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }),
          );
        }
      },
    };
  }
  const storage = new Storage(
    o.endpoint ? { apiEndpoint: o.endpoint, useAuthWithCustomEndpoint: false, projectId: 'local' } : { retryOptions: { maxRetries: 2 } },
  );
  const bucket = storage.bucket(loc.bucket);
  return {
    url,
    async list(prefix) {
      const [files] = await bucket.getFiles({ prefix });
      return files.map((f) => f.name).sort();
    },
    async get(key) {
      const [data] = await bucket.file(key).download();
      return data;
    },
    async put(key, body) {
      await bucket.file(key).save(body, { resumable: false });
    },
    async delete(keys) {
      for (const k of keys) await bucket.file(k).delete({ ignoreNotFound: true });
    },
  };
}

/** A `--from`/`--to` value that must be a bucket URL: parsed, or a usage error naming the flag. */
export function bucketUrlFlag(flag: string, url: string): BucketLocation {
  const loc = parseBucketUrl(url);
  if (!loc) throw new UsageError(`${flag} ${url}: expected s3://<bucket>/<folder> or gs://<bucket>/<folder>`);
  return loc;
}
