import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { avroType } from './avro-type';
import {
  createRegistry,
  isTransient,
  RegistryError,
  RegistryUnavailableError,
  SUBJECTS_PAGE,
  wireEncoder,
  wireHeader,
  wireSchemaId,
  withRetry,
} from './registry';
import { arrayOf, avroRecord } from '../../test/avro';

const schema = avroRecord('T', { a: 'long', b: arrayOf('float') }, 'lsst.sal');

describe('Confluent wire format', () => {
  it('header is magic 0 + big-endian id; encoder output decodes back', () => {
    expect(wireHeader(258).toString('hex')).toBe('0000000102');
    const type = avroType(schema as never);
    const buf = wireEncoder(258, type)({ a: 7, b: [1.5, 2] });
    expect(wireSchemaId(buf)).toBe(258);
    expect(type.fromBuffer(buf.subarray(5))).toEqual({ a: 7, b: [1.5, 2] });
  });
  it('rejects a buffer that is not wire format, saying what it got', () => {
    expect(() => wireSchemaId(Buffer.from('hello'))).toThrow(/not in the Confluent wire format.*68656c6c6f/);
    expect(() => wireSchemaId(Buffer.alloc(0))).toThrow(/<empty>/);
  });
});

describe('retry', () => {
  it('classifies errors', () => {
    expect(isTransient(new Error('fetch failed'))).toBe(true);
    expect(isTransient(Object.assign(new Error('Error, status 400: connect ECONNREFUSED 127.0.0.1:1'), { status: 400 }))).toBe(true);
    expect(isTransient(Object.assign(new Error('bad schema'), { status: 422 }))).toBe(false);
    expect(isTransient(new RegistryError('x', 503))).toBe(true);
    expect(isTransient(new RegistryError('x', 404))).toBe(false);
    expect(isTransient(new RegistryError('not wire format'))).toBe(false);
  });
  it('retries transient failures with a log line, then succeeds', async () => {
    let n = 0;
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, m: string) => warnings.push(m) } as never;
    const v = await withRetry('op', async () => (++n < 3 ? Promise.reject(new Error('fetch failed')) : 42), { initialDelayMs: 1, logger });
    expect(v).toBe(42);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/op: unreachable or failing \(fetch failed\), retrying in 1 ms/);
  });
  it('gives up after the attempts with the hint, and does not retry permanent errors', async () => {
    await expect(
      withRetry('op', () => Promise.reject(new Error('fetch failed')), { attempts: 2, initialDelayMs: 1, hint: 'Start it.' }),
    ).rejects.toThrow(new RegistryUnavailableError('op failed after 2 attempt(s): fetch failed. Start it.'));
    let n = 0;
    await expect(withRetry('op', () => (n++, Promise.reject(new RegistryError('gone', 404))), { initialDelayMs: 1 })).rejects.toThrow(
      'gone',
    );
    expect(n).toBe(1);
  });
});

describe('createRegistry against a fake Confluent API', () => {
  let server: http.Server;
  let url: string;
  let failNext = 0;
  let subjectCount = 0;
  let pagedSubjects = true;
  const hits: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end('{"message":"starting"}');
        return;
      }
      const send = (code: number, body: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/schemas/ids/12') return send(200, { schema: JSON.stringify(schema) });
      if (req.url?.startsWith('/subjects?')) {
        const q = new URL(req.url, 'http://x').searchParams;
        const all = Array.from({ length: subjectCount }, (_, i) => `s${i}-value`);
        if (!pagedSubjects) return send(200, all);
        const offset = Number(q.get('offset') ?? 0);
        return send(200, all.slice(offset, offset + Number(q.get('limit') ?? 1000)));
      }
      if (req.method === 'POST' && req.url === '/subjects/new-value/versions') return send(200, { id: 77 });
      if (req.method === 'POST' && req.url === '/subjects/known-value') return send(200, { id: 12, version: 1, subject: 'known-value' });
      if (req.url?.startsWith('/config/')) return send(200, { compatibilityLevel: 'BACKWARD' });
      if (req.url === '/subjects/missing-value/versions/latest') return send(404, { error_code: 40401, message: 'Subject not found' });
      return send(404, { message: 'nope' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('loads a type once per id (cached, concurrent callers share one request) and round-trips', async () => {
    hits.length = 0;
    const reg = createRegistry(url, { flavor: 'confluent' });
    const [e1, e2] = await Promise.all([reg.encoder(12), reg.encoder(12)]);
    expect(e1).toBe(e2);
    const buf = await reg.encode(12, { a: 1, b: [] });
    expect(await reg.decodeWithId(buf)).toEqual({ schemaId: 12, value: { a: 1, b: [] } });
    expect(hits.filter((h) => h.includes('/schemas/ids/12'))).toHaveLength(1);
  });
  it('retries while the registry answers 503', async () => {
    failNext = 2;
    const reg = createRegistry(url, { flavor: 'confluent', retry: { initialDelayMs: 1 } });
    expect(await reg.compatibility('x-value')).toBe('BACKWARD');
  });
  it('maps a missing subject to undefined / a message saying to register first', async () => {
    const reg = createRegistry(url, { flavor: 'confluent' });
    expect(await reg.latest('missing-value')).toBeUndefined();
    await expect(reg.latestId('missing-value')).rejects.toThrow(
      /subject missing-value is not in the schema registry.*efd salschema register/,
    );
  });
  it('lists every subject page by page, and stops on a registry that answers everything at once', async () => {
    const reg = createRegistry(url, { flavor: 'confluent' });
    subjectCount = SUBJECTS_PAGE * 2 + 3;
    hits.length = 0;
    const paged = await reg.listSubjects();
    expect(paged).toHaveLength(SUBJECTS_PAGE * 2 + 3);
    expect(new Set(paged).size).toBe(paged.length);
    expect(hits).toEqual([0, SUBJECTS_PAGE, SUBJECTS_PAGE * 2].map((o) => `GET /subjects?limit=${SUBJECTS_PAGE}&offset=${o}`));
    pagedSubjects = false;
    hits.length = 0;
    expect(await reg.listSubjects()).toHaveLength(SUBJECTS_PAGE * 2 + 3);
    expect(hits).toHaveLength(2); // the second page brought nothing new
    pagedSubjects = true;
    subjectCount = 0;
  });
  it('registers a subject known to be new with one POST; looks a schema up by content', async () => {
    const reg = createRegistry(url, { flavor: 'confluent' });
    hits.length = 0;
    expect(await reg.register('new-value', JSON.stringify(schema), { newSubject: true })).toBe(77);
    expect(hits).toEqual(['POST /subjects/new-value/versions']);
    expect(await reg.lookup('known-value', JSON.stringify(schema))).toBe(12);
    expect(await reg.lookup('other-value', JSON.stringify(schema))).toBeUndefined();
  });
  it('apicurio flavor targets the ccompat API path', () => {
    expect(createRegistry('http://h:8081', { flavor: 'apicurio' }).url).toBe('http://h:8081/apis/ccompat/v7');
    expect(createRegistry('http://h:8081/apis/ccompat/v7', { flavor: 'apicurio' }).url).toBe('http://h:8081/apis/ccompat/v7');
  });
});
