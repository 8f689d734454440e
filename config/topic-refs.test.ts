import { literal, normalizeRefs, prefixed, refMatches, topicRefsOf } from './topic-refs';
import { aggregatedTopicsRegex, aggregatedTopicsRegexOf, salTopicsRegex } from './names';
import { DEFAULT_TOPIC_POLICIES } from './topic-policies';
import { OBJECT_STORE_TOPICS_REGEX, SAL_TOPICS_REGEX } from './connectors';
import { remoteTopicsRegex } from './topology';

describe('topicRefsOf', () => {
  it.each([
    [SAL_TOPICS_REGEX, [prefixed('lsst.sal.')]],
    [salTopicsRegex('summit.'), [prefixed('summit.lsst.sal.')]],
    [aggregatedTopicsRegex('test-stand.'), [prefixed('test-stand.lsst.efd.agg.')]],
    [remoteTopicsRegex('summit', SAL_TOPICS_REGEX), [prefixed('summit.lsst.sal.')]],
    [OBJECT_STORE_TOPICS_REGEX, [prefixed('lsst.efd.agg.'), prefixed('lsst.sal.')]],
    [aggregatedTopicsRegexOf(['summit', 'test-stand']), [prefixed('summit.lsst.efd.agg.'), prefixed('test-stand.lsst.efd.agg.')]],
    ['_schemas', [literal('_schemas')]],
    ['^lsst\\.sal\\.ATDome_.*$', [prefixed('lsst.sal.ATDome_')]],
    // a part that is not literal ends the prefix there: the smallest prefix that covers it
    ['lsst[.]sal[.][A-Z]+_logevent_.+', [prefixed('lsst.sal.')]],
    ['lsst[.]sal[.]\\w+', [prefixed('lsst.sal.')]],
    ['ab?c', [literal('abc'), literal('ac')]],
    ['a(?:b|c)d', [literal('abd'), literal('acd')]],
  ])('%s → %j', (regex, refs) => {
    expect(topicRefsOf(regex)).toEqual(refs);
  });

  it("expands the policies' leading (.+\\.)? into the site's prefixes", () => {
    const events = DEFAULT_TOPIC_POLICIES[0].pattern;
    expect(topicRefsOf(events, ['', 'summit.'])).toEqual([prefixed('lsst.sal.'), prefixed('summit.lsst.sal.')]);
    expect(topicRefsOf(events)).toEqual([prefixed('lsst.sal.')]);
  });

  it.each(['.*', 'lsst|.+', '(?:a|.*)', '[a-z]+\\.sal'])('refuses %s, which can match any topic', (regex) => {
    expect(() => topicRefsOf(regex)).toThrow(`topic regex "${regex}" can match any topic name`);
  });

  it('refuses what it does not parse, naming the regex', () => {
    expect(() => topicRefsOf('lsst(?=x)')).toThrow('topic regex "lsst(?=x)" at 5: only plain and (?:…) groups are understood');
    expect(() => topicRefsOf('lsst[.')).toThrow('unclosed "["');
  });

  it('covers every name the regex matches, and allows what it refuses only past the literal start', () => {
    const names = [
      'lsst.sal.ATDome_position',
      'lsst.sal.ATDome_logevent_heartbeat',
      'summit.lsst.sal.ATDome_position',
      'lsst.efd.agg.ATDome_position',
      'summit.lsst.efd.agg.ATDome_position',
      'test-stand.lsst.efd.agg.MTM1M3TS_x',
      'lsst.efd.influxdb-sink.dlq',
      'saltransform.deadletter',
      'ATDome_telemetry',
      '_schemas',
    ];
    const regexes = [
      SAL_TOPICS_REGEX,
      OBJECT_STORE_TOPICS_REGEX,
      salTopicsRegex('summit.'),
      aggregatedTopicsRegexOf(['summit', 'test-stand']),
      ...DEFAULT_TOPIC_POLICIES.map((p) => p.pattern),
    ];
    for (const regex of regexes) {
      const refs = topicRefsOf(regex, ['', 'summit.', 'test-stand.']);
      const re = new RegExp(`^(?:${regex})$`);
      for (const n of names) if (re.test(n)) expect([regex, n, refs.some((r) => refMatches(r, n))]).toEqual([regex, n, true]);
    }
    expect(topicRefsOf(SAL_TOPICS_REGEX).some((r) => refMatches(r, 'summit.lsst.sal.ATDome_position'))).toBe(false);
  });
});

describe('normalizeRefs', () => {
  it('drops what a prefix covers and sorts', () => {
    expect(normalizeRefs([literal('lsst.sal.x'), prefixed('lsst.sal.'), literal('a'), prefixed('lsst.sal.ATDome_'), literal('a')])).toEqual(
      [literal('a'), prefixed('lsst.sal.')],
    );
  });
  it('refuses the empty prefix', () => {
    expect(() => prefixed('')).toThrow('a prefix of nothing would match every name');
  });
});
