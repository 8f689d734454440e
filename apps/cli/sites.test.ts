import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildProgram } from './main';
import { COMMITTED_STACKS } from '../../test/sites';

async function run(args: string[]): Promise<{ out: string; error?: Error }> {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
    return { out };
  } catch (error) {
    return { out, error: error as Error };
  } finally {
    spy.mockRestore();
  }
}

describe('efd sites / efd synth', () => {
  it('lists every stack with its site, role and target', async () => {
    const { out } = await run(['sites', '--json']);
    expect(
      JSON.parse(out)
        .map((s: { stack: string }) => s.stack)
        .sort(),
    ).toEqual(COMMITTED_STACKS);
  });

  it("lists a site's stacks in deploy order: the cluster, the EFD on it, then what runs beside the EFD", async () => {
    const { out } = await run(['sites', '--site', 'gcp']);
    const lines = out.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['STACK', 'gcp-cluster', 'gcp-efd', 'gcp-alerts']);
    expect(lines[3]).toMatch(
      /^gcp-alerts\s+gcp\s+standalone\s+experiment\s+GKE lsst-efd-prototype\/us-central1-a\/efd \(4 x n1-standard-4\)$/,
    );
  });

  it('synthesizes only the site owning a stack', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-cli-'));
    const { out, error } = await run(['synth', '--stack', 'gcp-efd', '--out', path.join(dir, 'out')]);
    expect(error).toBeUndefined();
    expect(out).toContain('synthesized gcp-cluster, gcp-efd, gcp-alerts');
    expect(fs.readdirSync(path.join(dir, 'out', 'stacks')).sort()).toEqual(['gcp-alerts', 'gcp-cluster', 'gcp-efd']);
    fs.rmSync(dir, { recursive: true });
  });

  it('names the unknown site or stack and what exists, writing nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-cli-'));
    expect((await run(['synth', '--stack', 'gcp-broker', '--out', path.join(dir, 'out')])).error?.message).toBe(
      'unknown stack "gcp-broker"; stacks: gcp-cluster, gcp-efd, gcp-alerts, ldf-efd, summit-efd, summit-replication, test-stand-efd, test-stand-replication',
    );
    expect((await run(['sites', '--site', 'tucson'])).error?.message).toBe(
      'unknown site "tucson"; known sites: gcp, ldf, summit, test-stand (config/sites/*.yaml)',
    );
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true });
  });
});
