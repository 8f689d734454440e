import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../apps/lib/exit-codes';
import { checksumProblem, findChart, readSums, sha256File } from './charts';

describe('chart packages an operator has', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-charts-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write('influxdb-4.12.5.tgz', 'not really gzip, but a file to hash');
  write('kapacitor-1.4.7/Chart.yaml', 'name: kapacitor\nversion: 1.4.7\n');
  write('chronograf/Chart.yaml', 'name: chronograf\nversion: 1.2.6\n');
  write('telegraf/Chart.yaml', 'name: telegraf\nversion: 1.8.0\n');

  it('finds <chart>-<version>.tgz, <chart>-<version>/ or a <chart>/ folder at that version', () => {
    expect(findChart(dir, 'influxdb', '4.12.5')).toEqual({ kind: 'package', path: path.join(dir, 'influxdb-4.12.5.tgz') });
    expect(findChart(dir, 'kapacitor', '1.4.7')).toEqual({ kind: 'folder', path: path.join(dir, 'kapacitor-1.4.7') });
    expect(findChart(dir, 'chronograf', '1.2.6')).toEqual({ kind: 'folder', path: path.join(dir, 'chronograf') });
    // Another version of the chart is not the pinned one.
    expect(findChart(dir, 'telegraf', '1.8.74')).toBeUndefined();
    expect(findChart(dir, 'cp-helm-charts', '0.6.1')).toBeUndefined();
  });

  it('a sums file in sha256sum format; a line that is not is bad input naming file and line', () => {
    const sum = sha256File(path.join(dir, 'influxdb-4.12.5.tgz'));
    write('SHA256SUMS', `# charts\n${sum}  influxdb-4.12.5.tgz\n${'A'.repeat(64)} *charts/kapacitor-1.4.7.tgz\n`);
    expect([...readSums(path.join(dir, 'SHA256SUMS'))]).toEqual([
      ['influxdb-4.12.5.tgz', sum],
      ['kapacitor-1.4.7.tgz', 'a'.repeat(64)],
    ]);
    write('BAD', `${sum}  influxdb-4.12.5.tgz\nmd5 abc influxdb\n`);
    let err: any;
    try {
      readSums(path.join(dir, 'BAD'));
    } catch (e) {
      err = e;
    }
    expect(err.message).toBe(
      `sums file ${path.join(dir, 'BAD')}, line 2: expected "<sha256 in 64 hex digits>  <file name>" (sha256sum format), got "md5 abc influxdb"`,
    );
    expect(err.exitCode).toBe(EXIT.badInput);
    expect(() => readSums(path.join(dir, 'none'))).toThrow(/sums file .*none: ENOENT/);
  });

  it('a package matches its line; another sha256, no line, or a folder is a problem saying what to do', () => {
    const pkg = { kind: 'package' as const, path: path.join(dir, 'influxdb-4.12.5.tgz') };
    const sum = sha256File(pkg.path);
    expect(checksumProblem(pkg, new Map([['influxdb-4.12.5.tgz', sum]]), 'S')).toBeUndefined();
    expect(checksumProblem(pkg, new Map([['influxdb-4.12.5.tgz', '0'.repeat(64)]]), 'S')).toBe(
      `${pkg.path}: sha256 ${sum} is not the ${'0'.repeat(64)} of the sums file S; the package is not the one the operator verified: fetch it again (helm pull) and compare`,
    );
    expect(checksumProblem(pkg, new Map(), 'S')).toMatch(/^influxdb-4\.12\.5\.tgz has no line in the sums file S/);
    expect(checksumProblem({ kind: 'folder', path: path.join(dir, 'chronograf') }, new Map(), 'S')).toMatch(
      /chronograf is an unpacked chart folder, which a sums file cannot verify/,
    );
  });
});
