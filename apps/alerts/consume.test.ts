import { EXIT, exitCodeOf } from '../lib/exit-codes';
import { jsonLine, likeNamed, parseStatusLine, statusLine, unknownTopicError } from './consume';

const FILTERS = Array.from({ length: 100 }, (_, i) => `Filter${String(i + 1).padStart(3, '0')}`);

describe('likeNamed', () => {
  it('finds topics a few edits away, case aside, or containing the name; nearest first', () => {
    expect(likeNamed('Filter1', FILTERS).slice(0, 3)).toEqual(['Filter001', 'Filter010', 'Filter011']);
    expect(likeNamed('filter001', FILTERS)[0]).toBe('Filter001');
    expect(likeNamed('Filter101', FILTERS).slice(0, 2)).toEqual(['Filter001', 'Filter100']);
    expect(likeNamed('alerts', ['it.x.alerts', 'lsst.sal.ATDome', 'alert'])).toEqual(['alert', 'it.x.alerts']);
    expect(likeNamed('Filter1', FILTERS)).toHaveLength(10);
  });

  it('finds nothing for an unrelated name', () => {
    expect(likeNamed('lsst.sal.MTMount', FILTERS)).toEqual([]);
  });
});

describe('unknownTopicError', () => {
  it('names the topic and the like-named ones; bad input', () => {
    const err = unknownTopicError('Filter1000', [...FILTERS, '__consumer_offsets'], 'k:9092');
    expect(err.message).toMatch(/^topic "Filter1000" does not exist on k:9092; like-named topics there: Filter100, Filter001, Filter002/);
    expect(err.message).toMatch(/A filter topic exists once its filter ran \(efd alerts filter\)\.$/);
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
  });

  it('says so when nothing is named like it, counting the topics (internal ones aside)', () => {
    expect(unknownTopicError('Filter001', ['lsst.sal.ATDome', '__consumer_offsets'], 'k:1').message).toBe(
      'topic "Filter001" does not exist on k:1; no topic there is named like it (1 topics; list them with `efd topics list`). ' +
        'A filter topic exists once its filter ran (efd alerts filter).',
    );
  });
});

describe('statusLine', () => {
  it("is the seed's end-of-stream line plus the record's timestamp and the end-to-end time", () => {
    const last = { key: Buffer.from('173310864500012'), value: null, offset: '39', timestamp: '1733108645501' };
    expect(statusLine({ topic: 'Filter001', partition: 0, end: '40', last, receivedMs: 1733108645734 })).toBe(
      'topic:Filter001, partition:0, status:end, offset:40, key:173310864500012, time:1733108645.734, produced:1733108645.501, e2e_s:0.233',
    );
  });

  it('reads back (parseStatusLine): end offset, key, times in ms; other lines are not status lines', () => {
    const last = { key: Buffer.from('173310864500012'), value: null, offset: '39', timestamp: '1733108645501' };
    expect(parseStatusLine(statusLine({ topic: 'Filter001', partition: 0, end: '40', last, receivedMs: 1733108645734 }))).toEqual({
      topic: 'Filter001',
      partition: 0,
      end: 40,
      key: '173310864500012',
      receivedMs: 1733108645734,
      producedMs: 1733108645501,
    });
    expect(parseStatusLine(statusLine({ topic: 'it.x.Filter002', partition: 3, end: '0', receivedMs: 1528496269734 }))).toEqual({
      topic: 'it.x.Filter002',
      partition: 3,
      end: 0,
      receivedMs: 1528496269734,
    });
    expect(parseStatusLine('{"topic":"Filter001","offset":"3"}')).toBeUndefined();
    expect(parseStatusLine('topic:Filter001, partition:0, status:end, offset:x, time:1')).toBeUndefined();
  });

  it('writes key:None and no times without a record (a partition with nothing to read)', () => {
    expect(statusLine({ topic: 'Filter002', partition: 3, end: '0', receivedMs: 1528496269734 })).toBe(
      'topic:Filter002, partition:3, status:end, offset:0, key:None, time:1528496269.734',
    );
  });
});

describe('jsonLine', () => {
  it('writes longs beyond 2^53 exactly and Buffers as byte counts', () => {
    expect(jsonLine({ id: 2n ** 60n, small: 5, neg: -(2n ** 62n), b: Buffer.alloc(3), s: 'x' })).toBe(
      '{"id":1152921504606846976,"small":5,"neg":-4611686018427387904,"b":"<3 bytes>","s":"x"}',
    );
  });
});
