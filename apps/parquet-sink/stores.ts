/**
 * Where the Parquet objects go: an S3 or S3-compatible store (@aws-sdk/client-s3; credentials from
 * the AWS default chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, IRSA) or Google Cloud
 * Storage (@google-cloud/storage; application default credentials: Workload Identity on GKE, or
 * GOOGLE_APPLICATION_CREDENTIALS). `endpoint` points either at another server (SeaweedFS, Ceph, the
 * GCS emulator of the local EFD). A put of an existing name replaces the object.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';

export interface ObjectStore {
  /** `s3://bucket` or `gs://bucket`, for logs. */
  readonly describe: string;
  put(key: string, body: Buffer): Promise<void>;
}

export interface S3StoreOptions {
  bucket: string;
  /** @default us-east-1 */
  region?: string;
  /** An S3-compatible server (path-style requests). @default AWS */
  endpoint?: string;
}

export function s3Store(o: S3StoreOptions): ObjectStore {
  const client = new S3Client({
    region: o.region ?? 'us-east-1',
    ...(o.endpoint ? { endpoint: o.endpoint, forcePathStyle: true } : {}),
    // the SDK's own retries stay short: the sink retries with its backoff and keeps the records
    maxAttempts: 2,
  });
  return {
    describe: `s3://${o.bucket}${o.endpoint ? ` at ${o.endpoint}` : ''}`,
    async put(key, body) {
      await client.send(
        new PutObjectCommand({
          Bucket: o.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/vnd.apache.parquet',
          ContentLength: body.length,
        }),
      );
    },
  };
}

export interface GcsStoreOptions {
  bucket: string;
  /** Another GCS JSON API server (the emulator: no credentials sent). @default Google Cloud Storage */
  endpoint?: string;
  /** @default the credentials' project */
  projectId?: string;
}

export function gcsStore(o: GcsStoreOptions): ObjectStore {
  const storage = new Storage({
    ...(o.projectId ? { projectId: o.projectId } : {}),
    ...(o.endpoint ? { apiEndpoint: o.endpoint, useAuthWithCustomEndpoint: false, projectId: o.projectId ?? 'local' } : {}),
    retryOptions: { maxRetries: 1 },
  });
  const bucket = storage.bucket(o.bucket);
  return {
    describe: `gs://${o.bucket}${o.endpoint ? ` at ${o.endpoint}` : ''}`,
    async put(key, body) {
      await bucket.file(key).save(body, { resumable: false, contentType: 'application/vnd.apache.parquet', validation: 'crc32c' });
    },
  };
}
