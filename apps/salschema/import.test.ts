/**
 * The Confluent path of `salschema import` (the aggregator's registry keeps ids in IMPORT mode), which
 * no registry on this machine can judge (the integration test runs the Apicurio path on the real
 * registries): against a stub that answers as Confluent's API does, the requests are checked — IMPORT
 * mode on the renamed subject, each version registered with the source's id and version, a refusal
 * reported with the server's error code and message. Also the paging of GET /subjects.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { importSchemas, importedSubjects, listSubjects } from './import';

interface Seen {
  method: string;
  url: string;
  body?: unknown;
}

function stub(handle: (req: Seen) => [number, unknown]): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const r: Seen = { method: req.method ?? '', url: req.url ?? '', ...(text ? { body: JSON.parse(text) } : {}) };
      seen.push(r);
      const [status, body] = handle(r);
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(body));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        seen,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

const schemaA = '{"type":"record","name":"a","fields":[{"name":"seq","type":"long"}]}';
const schemaB = '{"type":"record","name":"b","fields":[{"name":"seq","type":"long"}]}';

describe('salschema import, Confluent aggregator (ids kept in IMPORT mode)', () => {
  it('puts the renamed subject in IMPORT mode and registers each version with the id and version the records carry; a refusal keeps the server message', async () => {
    const source = await stub(({ url }) => {
      if (url.startsWith('/subjects?'))
        return [200, url.includes('offset=0') ? ['lsst.sal.X.a-value', 'lsst.sal.X.b-value', 'other-value'] : []];
      if (url === '/subjects/lsst.sal.X.a-value/versions') return [200, [1]];
      if (url === '/subjects/lsst.sal.X.b-value/versions') return [200, [1]];
      if (url === '/subjects/lsst.sal.X.a-value/versions/1') return [200, { id: 41, version: 1, schema: schemaA }];
      if (url === '/subjects/lsst.sal.X.b-value/versions/1') return [200, { id: 7, version: 1, schema: schemaB }];
      return [404, { error_code: 40401, message: 'not found' }];
    });
    const target = await stub(({ method, url, body }) => {
      if (method === 'POST' && !url.endsWith('/versions')) return [404, { error_code: 40403, message: 'Schema not found' }];
      if (method === 'PUT' && url.startsWith('/mode/')) return [200, { mode: 'IMPORT' }];
      const b = body as { id: number };
      // The aggregator's own schema holds id 7 already (the schema-id conflict between sites).
      if (b.id === 7) return [422, { error_code: 42205, message: 'Overwrite new schema with id 7 is not permitted.' }];
      return [200, { id: b.id }];
    });
    try {
      const r = await importSchemas({
        source: source.url,
        target: target.url,
        prefix: 'summit',
        topicsRegex: 'lsst[.]sal[.].*',
        targetFlavor: 'confluent',
      });
      expect(r.versions.map((v) => [v.target, v.version, v.id, v.outcome, v.reason])).toEqual([
        ['summit.lsst.sal.X.a-value', 1, 41, 'imported', undefined],
        [
          'summit.lsst.sal.X.b-value',
          1,
          7,
          'refused',
          "the aggregator's registry refused it: HTTP 422 (error 42205): Overwrite new schema with id 7 is not permitted.",
        ],
      ]);
      expect(target.seen.filter((s) => s.method !== 'POST' || s.url.endsWith('/versions'))).toEqual([
        { method: 'PUT', url: '/mode/summit.lsst.sal.X.a-value?force=true', body: { mode: 'IMPORT' } },
        { method: 'POST', url: '/subjects/summit.lsst.sal.X.a-value/versions', body: { schema: schemaA, id: 41, version: 1 } },
        { method: 'PUT', url: '/mode/summit.lsst.sal.X.b-value?force=true', body: { mode: 'IMPORT' } },
        { method: 'POST', url: '/subjects/summit.lsst.sal.X.b-value/versions', body: { schema: schemaB, id: 7, version: 1 } },
      ]);
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });

  it('reads GET /subjects in pages (Apicurio answers at most 1,000); stops when a registry ignores the paging', async () => {
    const names = Array.from({ length: 2500 }, (_, i) => `s${i}`);
    const paged = await stub(({ url }) => {
      const q = new URL(url, 'http://x').searchParams;
      const offset = Number(q.get('offset'));
      return [200, names.slice(offset, offset + Number(q.get('limit')))];
    });
    const ignoring = await stub(() => [200, names]);
    try {
      expect(await listSubjects(paged.url)).toEqual(names);
      expect(paged.seen.map((s) => s.url)).toEqual([0, 1000, 2000].map((o) => `/subjects?offset=${o}&limit=1000`));
      expect(await listSubjects(ignoring.url)).toEqual(names);
    } finally {
      await Promise.all([paged.close(), ignoring.close()]);
    }
  });

  it('imports the value and key subjects of the replicated topics only', () => {
    expect(
      importedSubjects(['lsst.sal.A.b-value', 'lsst.sal.A.b-key', 'lsst.sal.A.b-other', 'x.lsst.sal.A.b-value'], 'lsst[.]sal[.].*'),
    ).toEqual(['lsst.sal.A.b-key', 'lsst.sal.A.b-value']);
  });
});
