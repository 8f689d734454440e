import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { durationSeconds } from '../../config/duration';

describe('InfluxDB server settings of the local EFD and the deployed chart', () => {
  const saved = process.env.EFD_LOCAL_DIR;
  afterAll(() => {
    if (saved === undefined) delete process.env.EFD_LOCAL_DIR;
    else process.env.EFD_LOCAL_DIR = saved;
  });

  it("sets the same write timeout in both, below the sink's 30 s request timeout", async () => {
    process.env.EFD_LOCAL_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-configs-'));
    const { INFLUX_WRITE_TIMEOUT, writeInfluxConfig } = require('./configs') as typeof import('./configs');
    const toml = fs.readFileSync(writeInfluxConfig(), 'utf8');
    expect(toml).toContain(`[coordinator]\n  write-timeout = "${INFLUX_WRITE_TIMEOUT}"\n`);
    expect(toml).toContain(`dir = "${path.join(process.env.EFD_LOCAL_DIR, 'data', 'influxdb', 'data')}"`); // written under the temporary state folder
    const chart = parse(fs.readFileSync(path.join(__dirname, '..', '..', 'helm-values', 'influxdb.yaml'), 'utf8')) as {
      config: { coordinator: Record<string, string> };
    };
    expect(chart.config.coordinator['write-timeout']).toBe(INFLUX_WRITE_TIMEOUT);
    expect(durationSeconds(INFLUX_WRITE_TIMEOUT)).toBeGreaterThan(10);
    expect(durationSeconds(INFLUX_WRITE_TIMEOUT)).toBeLessThan(30);
  });
});
