import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { POSTGRES, postgresArgs, postgresEndpoints, postgresInstalled, postgresRunAs, reachableDataDir } from './postgres';
import { localServers } from './stack';

describe('PostgreSQL of the local EFD', () => {
  it('listens on 127.0.0.1 only, without a Unix socket, on its fixed port', () => {
    const args = postgresArgs({ dataDir: '/tmp/x/data', port: 5999, logFile: '/tmp/x/initdb.log' });
    const settings = args.flatMap((a, i) => (args[i - 1] === '-c' ? [a] : []));
    expect(settings).toContain('listen_addresses=127.0.0.1');
    expect(settings).toContain('unix_socket_directories=');
    expect(args.slice(0, 4)).toEqual(['-D', '/tmp/x/data', '-p', '5999']);
    expect(postgresEndpoints()).toEqual({
      host: '127.0.0.1',
      port: POSTGRES.port,
      database: 'efd',
      user: 'efd',
      password: POSTGRES.password,
      jdbcUrl: `jdbc:postgresql://127.0.0.1:${POSTGRES.port}/efd`,
    });
  });

  it('is a server of every local EFD (one or more clusters), on a port no other server uses', () => {
    for (const n of [1, 2, 3]) {
      const servers = localServers(n);
      expect(servers.find((s) => s.name === 'postgres')?.ports).toEqual([POSTGRES.port]);
      const ports = servers.flatMap((s) => s.ports);
      expect(new Set(ports).size).toBe(ports.length);
    }
  });
});

describe('reachableDataDir', () => {
  const runAs = postgresInstalled() ? postgresRunAs() : undefined;

  it('keeps a data dir whose parents the server user can enter', () => {
    const open = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-pg-open-'));
    fs.chmodSync(open, 0o755);
    expect(reachableDataDir(path.join(open, 'data', 'postgres'))).toBe(path.join(open, 'data', 'postgres'));
  });

  it('moves it below the temp dir, the same place each time, when a parent is closed to that user', () => {
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-pg-closed-')); // 0700, owned by us
    const dir = path.join(closed, 'efd', '.efd-local', 'data', 'postgres');
    const got = reachableDataDir(dir);
    if (!runAs) {
      // not root: the server runs as us, who can enter our own folders
      expect(got).toBe(dir);
      return;
    }
    expect(got).toMatch(new RegExp(`^${os.tmpdir()}/efd-postgres-[0-9a-f]{12}/postgres$`));
    expect(reachableDataDir(dir)).toBe(got);
    expect(reachableDataDir(path.join(closed, 'other', 'postgres'))).not.toBe(got);
  });
});
