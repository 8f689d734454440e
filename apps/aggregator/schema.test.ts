import { Type, Schema as AvscSchema } from 'avsc';
import { aggregatedTopicOf, aggregatedTopicsRegex } from '../../config/names';
import { topicMatcher } from '../lib/topic-regex';
import { convertTopics } from '../lib/sal/convert';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';
import { aggregationPlan, PlanError } from './schema';

const { schemas } = convertTopics(loadTsXmlFolder(CURRENT_DIR).topics);

test('the naming rule: lsst.sal.<Topic> → lsst.efd.agg.<Topic>, a prefix kept; the sinks select them by the same rule', () => {
  expect(aggregatedTopicOf('lsst.sal.ATDome_position')).toBe('lsst.efd.agg.ATDome_position');
  expect(aggregatedTopicOf('summit.lsst.sal.ATDome_position')).toBe('summit.lsst.efd.agg.ATDome_position');
  expect(aggregatedTopicOf('ATDome_telemetry')).toBeUndefined();
  expect(topicMatcher(aggregatedTopicsRegex())('lsst.efd.agg.ATDome_position')).toBe(true);
  expect(topicMatcher(aggregatedTopicsRegex())('summit.lsst.efd.agg.ATDome_position')).toBe(false);
  expect(topicMatcher(aggregatedTopicsRegex('summit.'))('summit.lsst.efd.agg.ATDome_position')).toBe(true);
  expect(topicMatcher(aggregatedTopicsRegex('summit.'))('summitXlsst.efd.agg.ATDome_position')).toBe(false);
});

test('Test_scalars: numeric fields → six statistics, the others → last value, timestamps → the window time', () => {
  const plan = aggregationPlan(schemas.get('Test_scalars'));
  const names = plan.schema.fields.map((f) => f.name);
  expect(names.slice(0, 2)).toEqual(['time', 'count']);
  expect(names).not.toContain('sal_created');
  expect(names).not.toContain('kafka_timestamp');
  expect(names).not.toContain('sal_ingested');
  for (const f of ['short0', 'unsignedInt0', 'longLong0', 'float0', 'double0'])
    for (const st of ['count', 'min', 'max', 'mean', 'median', 'stdev']) expect(names).toContain(`${f}_${st}`);
  for (const f of ['boolean0', 'string0', 'char0', 'sal_revcode', 'sal_origin', 'sal_host']) expect(names).toContain(f);
  expect(plan.stats.map((f) => f.name)).toEqual([
    'short0',
    'unsignedShort0',
    'int0',
    'unsignedInt0',
    'long0',
    'unsignedLong0',
    'longLong0',
    'unsignedLongLong0',
    'float0',
    'double0',
  ]);
  expect(plan.schema).toMatchObject({ name: 'Test_scalars', namespace: 'lsst.efd.agg', efd_aggregated_from: 'lsst.sal.Test_scalars' });
  expect(plan.schema.sal_topic_type).toBe('SALTelemetry');
  Type.forSchema(plan.schema as unknown as AvscSchema);
});

test('arrays: element-wise statistics, each an array of nullable numbers', () => {
  const plan = aggregationPlan(schemas.get('ATMCS_trajectory'));
  expect(plan.schema.fields.find((f) => f.name === 'azimuth_mean')?.type).toEqual(['null', { type: 'array', items: ['null', 'double'] }]);
  expect(plan.schema.fields.find((f) => f.name === 'azimuth_count')?.type).toEqual(['null', { type: 'array', items: ['null', 'int'] }]);
});

test('bad schemas: not telemetry, no numeric field, a clash of derived names, no time field', () => {
  const err = (s: unknown) => {
    try {
      aggregationPlan(s);
    } catch (e) {
      return e instanceof PlanError ? `${e.reason}: ${e.message}` : String(e);
    }
    return 'no error';
  };
  expect(err(schemas.get('ATDome_command_moveAzimuth'))).toBe(
    'not-telemetry: lsst.sal.ATDome_command_moveAzimuth is a SALCommand topic: only telemetry is aggregated',
  );
  const base = schemas.get('ATPtg_timeAndDate')!;
  const efd = base.fields.slice(0, 6);
  expect(err({ ...base, fields: [...efd, { name: 'lst', type: 'string' }] })).toBe(
    'no-numeric-fields: lsst.sal.ATPtg_timeAndDate has no numeric field to aggregate (only strings, booleans or timestamps)',
  );
  expect(err({ ...base, fields: [...efd, { name: 'x', type: 'double' }, { name: 'x_mean', type: 'string' }] })).toBe(
    'name-clash: lsst.sal.ATPtg_timeAndDate: aggregated field x_mean would be written twice (rename the source field)',
  );
  // a source field named like a window field: its last value under <name>_last; numeric ones have suffixed names anyway
  const own = aggregationPlan({
    ...base,
    fields: [...efd, { name: 'x', type: 'double' }, { name: 'time', type: 'string' }, { name: 'count', type: 'long' }],
  });
  expect(own.schema.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['time', 'count', 'time_last', 'count_mean']));
  expect(own.last.find((f) => f.name === 'time')?.out).toBe('time_last');
  expect(err({ ...base, fields: base.fields.filter((f) => f.name !== 'sal_created') })).toBe(
    'no-time-field: lsst.sal.ATPtg_timeAndDate has no field sal_created to cut the windows on',
  );
  expect(err({ type: 'string' })).toBe('not-a-record: the source schema is not an Avro record with fields');
});
