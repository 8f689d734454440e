import { EXIT } from '../../apps/lib/exit-codes';
import { ReleaseVerdict, refusalLines, renderedObjects, reportLine, summaryLine, validateExit } from './validate';

const base: ReleaseVerdict = {
  site: 'summit',
  stack: 'summit-efd',
  context: 'summit-efd',
  address: 'helm_release.chronograf_release_1',
  release: 'chronograf',
  namespace: 'influxdb',
  chart: 'chronograf-1.2.6',
  status: 'accepted',
  source: { kind: 'package', path: '/charts/chronograf-1.2.6.tgz', verified: true, pulled: false },
  objects: [
    { object: 'Service influxdb/chronograf' },
    { object: 'Deployment influxdb/chronograf', template: 'chronograf/templates/deployment.yaml' },
  ],
  notes: [],
  seconds: 1.25,
};

describe('the report of efd validate --charts', () => {
  it('one line per release naming site, stack, release, chart, namespace, context and the outcome', () => {
    expect(reportLine(base)).toBe(
      'summit summit-efd chronograf (chronograf-1.2.6, namespace influxdb, context summit-efd): accepted: 2/2 objects accepted (server-side dry run) from /charts/chronograf-1.2.6.tgz, sha256 verified in 1.3 s',
    );
    const refused: ReleaseVerdict = {
      ...base,
      status: 'refused',
      objects: [
        base.objects[0],
        { ...base.objects[1], refused: 'Deployment.apps "chronograf" is invalid: spec.replicas: Invalid value: -1' },
        { object: 'Kafka kafka/k', skipped: 'its kind is defined by a CRD of this chart' },
      ],
      notes: ['namespace influxdb created'],
    };
    expect(reportLine(refused)).toBe(
      "summit summit-efd chronograf (chronograf-1.2.6, namespace influxdb, context summit-efd): REFUSED: 1/2 objects accepted (server-side dry run), 1 not submitted (kinds of the chart's own CRDs) from /charts/chronograf-1.2.6.tgz, sha256 verified in 1.3 s; namespace influxdb created",
    );
    expect(refusalLines([base, refused])).toEqual([
      'summit summit-efd chronograf: Deployment influxdb/chronograf (chronograf/templates/deployment.yaml) refused: Deployment.apps "chronograf" is invalid: spec.replicas: Invalid value: -1',
    ]);
    expect(reportLine({ ...base, status: 'missing', source: undefined, objects: [], message: 'not in /c' })).toMatch(
      /: CHART MISSING: not in \/c$/,
    );
    expect(reportLine({ ...base, status: 'checksum', message: 'x' })).toMatch(/: WRONG CHECKSUM: x$/);
  });

  it('exit 0 when all were accepted, 3 for a missing chart or a wrong checksum, 1 for a refused object or a chart that did not render', () => {
    expect(validateExit([base])).toBe(EXIT.ok);
    expect(validateExit([base, { ...base, status: 'refused' }])).toBe(EXIT.failed);
    expect(validateExit([base, { ...base, status: 'failed' }])).toBe(EXIT.failed);
    expect(
      validateExit([
        { ...base, status: 'refused' },
        { ...base, status: 'missing' },
      ]),
    ).toBe(EXIT.badInput);
    expect(validateExit([{ ...base, status: 'checksum' }])).toBe(EXIT.badInput);
    expect(summaryLine([base, { ...base, status: 'missing', objects: [] }], 2)).toBe(
      '2 releases: 1 accepted (2 objects), 0 refused, 1 chart missing, 0 wrong checksum, 0 failed, in 2.0 s',
    );
  });

  it('reads helm template output: every object with its template, a List flattened, empty documents dropped', () => {
    const text = [
      '---',
      '# Source: c/templates/service.yaml',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: s}',
      '---',
      '# Source: c/templates/empty.yaml',
      '---',
      '# Source: c/templates/list.yaml',
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}',
      '  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}',
    ].join('\n');
    expect(renderedObjects(text).map((o) => `${o.template} ${o.manifest.kind} ${o.manifest.metadata.name}`)).toEqual([
      'c/templates/service.yaml Service s',
      'c/templates/list.yaml ConfigMap a',
      'c/templates/list.yaml ConfigMap b',
    ]);
    expect(() => renderedObjects('a: [')).toThrow(/helm template printed YAML that does not parse/);
  });
});
