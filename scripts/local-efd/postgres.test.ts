import { POSTGRES, postgresArgs, postgresEndpoints } from './postgres';
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
