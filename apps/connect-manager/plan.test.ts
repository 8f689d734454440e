import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MANAGED_BY_KEY, parseDesired, specProblems, toConfigMapData, validateSpecs } from '../../config/connector-spec';
import { readDesired } from './desired';
import { diffConfig, expandTopics, formatPlan, plan, renderConfig } from './plan';
import { formatStatus, unhealthy } from './manager';

const FILE_SINK = 'org.apache.kafka.connect.file.FileStreamSinkConnector';
const spec = (name: string, extra: Record<string, string> = {}, topicsRegex?: string) => ({
  name,
  config: { 'connector.class': FILE_SINK, file: `/tmp/${name}.txt`, ...extra },
  ...(topicsRegex ? { topicsRegex } : {}),
});

describe('desired connectors', () => {
  it('parses a spec, an array and {connectors}', () => {
    expect(parseDesired(JSON.stringify(spec('a')), 'x')).toHaveLength(1);
    expect(parseDesired(JSON.stringify([spec('a'), spec('b')]), 'x')).toHaveLength(2);
    expect(parseDesired(JSON.stringify({ connectors: [spec('a')] }), 'x')[0].name).toBe('a');
  });

  it('names the source and path of schema errors', () => {
    expect(() => parseDesired('{"name":"a","config":{}}', 'cm/a.json')).toThrow(/cm\/a\.json.*\n.*config: expected "connector.class"/);
    expect(() => parseDesired('nope', 'cm/a.json')).toThrow(/cm\/a\.json: not JSON/);
  });

  it('rejects literal secrets, duplicate names, a set mark and topics with topicsRegex', () => {
    expect(specProblems(spec('j', { 'connection.password': 'hunter2' }))).toEqual([expect.stringContaining('literal secret')]);
    expect(specProblems(spec('j', { 'connection.password': '${dir:/etc/secrets/jdbc:password}' }))).toEqual([]);
    expect(specProblems(spec('s', { 'aws.secret.access.key': 'AKIA...' }))).toHaveLength(1);
    expect(specProblems(spec('m', { [MANAGED_BY_KEY]: 'x' }))).toEqual([expect.stringContaining('set by the manager')]);
    expect(specProblems(spec('t', { topics: 'a' }, 'a.*'))).toEqual([expect.stringContaining('remove config.topics')]);
    expect(specProblems(spec('r', {}, '(('))).toEqual([expect.stringContaining('not a valid regular expression')]);
    expect(() => validateSpecs([spec('a'), spec('a')], 'here')).toThrow(/here are invalid:\n  connector a: declared twice/);
  });

  it('round-trips through ConfigMap data (one sorted <name>.json per connector) and a mounted folder', () => {
    const data = toConfigMapData([spec('b', {}, 'lsst\\.sal\\..*'), spec('a')]);
    expect(Object.keys(data)).toEqual(['a.json', 'b.json']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-'));
    for (const [k, v] of Object.entries(data)) fs.writeFileSync(path.join(dir, k), v);
    fs.mkdirSync(path.join(dir, '..data')); // as in a mounted ConfigMap
    expect(readDesired(dir)).toEqual([spec('a'), spec('b', {}, 'lsst\\.sal\\..*')]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('plan', () => {
  const topics = ['lsst.sal.ATDome_position', 'lsst.sal.MTMount_azimuth', 'other', 'xlsst.sal.nope'];

  it('expands regexes by whole-name match, sorted', () => {
    expect(expandTopics('lsst\\.sal\\..*', topics)).toEqual(['lsst.sal.ATDome_position', 'lsst.sal.MTMount_azimuth']);
    expect(expandTopics('lsst\\.sal\\.AT.*', topics)).toEqual(['lsst.sal.ATDome_position']);
    expect(expandTopics('other|none', topics)).toEqual(['other']);
  });

  it('renders name, mark and topics', () => {
    expect(renderConfig(spec('a', {}, 'lsst\\.sal\\.AT.*'), topics, 'mgr')).toEqual({
      'connector.class': FILE_SINK,
      file: '/tmp/a.txt',
      name: 'a',
      [MANAGED_BY_KEY]: 'mgr',
      topics: 'lsst.sal.ATDome_position',
    });
    expect(renderConfig(spec('a', {}, 'none\\..*'), topics, 'mgr')).toBeUndefined();
  });

  it('creates, updates, keeps, deletes only managed connectors, and flags conflicts and pending ones', () => {
    const current = new Map([
      ['same', { config: renderConfig(spec('same', { topics: 'other' }), topics, 'mgr')! }],
      [
        'changed',
        { config: { ...renderConfig(spec('changed', {}, 'lsst\\.sal\\..*'), topics, 'mgr')!, topics: 'lsst.sal.ATDome_position' } },
      ],
      ['gone', { config: { 'connector.class': FILE_SINK, name: 'gone', [MANAGED_BY_KEY]: 'mgr' } }],
      ['foreign', { config: { 'connector.class': FILE_SINK, name: 'foreign' } }],
      ['theirs', { config: { 'connector.class': FILE_SINK, name: 'theirs', [MANAGED_BY_KEY]: 'other-mgr' } }],
    ]);
    const desired = [
      spec('new', { topics: 'other' }),
      spec('same', { topics: 'other' }),
      spec('changed', {}, 'lsst\\.sal\\..*'),
      spec('foreign', { topics: 'other' }),
      spec('waiting', {}, 'nothing\\..*'),
    ];
    const actions = plan({ desired, current, topics, managerId: 'mgr' });
    expect(actions.map((a) => `${a.kind}:${a.name}`)).toEqual([
      'create:new',
      'unchanged:same',
      'update:changed',
      'conflict:foreign',
      'pending:waiting',
      'delete:gone',
    ]);
    const update = actions.find((a) => a.kind === 'update');
    expect(update && update.kind === 'update' && update.changes).toEqual([
      { key: 'topics', from: 'lsst.sal.ATDome_position', to: 'lsst.sal.ATDome_position,lsst.sal.MTMount_azimuth' },
    ]);
    const text = formatPlan(actions).join('\n');
    expect(text).toMatch(/~ update +changed\n +topics: lsst.sal.ATDome_position → lsst.sal.ATDome_position,lsst.sal.MTMount_azimuth/);
    expect(text).toMatch(/! conflict +foreign: .*not managed by any connect manager.*--adopt/);
    expect(text).toMatch(/plan: 1 to create, 1 to update, 1 to delete, 1 unchanged, 1 pending, 1 conflict\(s\)$/);
    expect(plan({ desired, current, topics, managerId: 'mgr', adopt: true }).find((a) => a.name === 'foreign')?.kind).toBe('update');
  });

  it('is a no-op on its own result (second run)', () => {
    const desired = [spec('a', {}, 'lsst\\.sal\\..*'), spec('b', { topics: 'other' })];
    const current = new Map(desired.map((d) => [d.name, { config: renderConfig(d, topics, 'mgr')! }]));
    expect(plan({ desired, current, topics, managerId: 'mgr' }).every((a) => a.kind === 'unchanged')).toBe(true);
  });

  it('diffs keys both ways and hides literal secrets in output', () => {
    expect(diffConfig({ a: '1', b: '2' }, { b: '3', c: '4' })).toEqual([
      { key: 'a', from: '1', to: undefined },
      { key: 'b', from: '2', to: '3' },
      { key: 'c', from: undefined, to: '4' },
    ]);
    const lines = formatPlan([
      { kind: 'update', name: 'x', config: {}, changes: [{ key: 'connection.password', from: 'old', to: '${dir:/s:p}' }] },
    ]);
    expect(lines[1]).toBe('      connection.password: (secret) → ${dir:/s:p}');
  });
});

describe('status formatting', () => {
  it('shows states, first trace line, and which failures remain', () => {
    const rows = [
      { name: 'ok', managed: true, state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }], restarted: [] },
      { name: 'bad', managed: true, state: 'RUNNING', tasks: [{ id: 0, state: 'FAILED', trace: 'org.x.Boom: no\n\tat y' }], restarted: [] },
      { name: 'fixed', managed: true, state: 'FAILED', trace: 'E', tasks: [], restarted: ['connector'] },
    ];
    const text = formatStatus(rows).join('\n');
    expect(text).toMatch(/bad +RUNNING +tasks 0:FAILED\n    task 0: org.x.Boom: no\n/);
    expect(text).toMatch(/restarted: connector/);
    expect(unhealthy(rows).map((r) => r.name)).toEqual(['bad']);
  });
});
