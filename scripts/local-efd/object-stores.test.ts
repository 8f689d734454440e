import { OBJECT_STORE_PORTS } from './layout';
import { seaweedArgs } from './object-stores';
import { localServers } from './stack';

describe('SeaweedFS of the local EFD', () => {
  const args = seaweedArgs('/tmp/x', OBJECT_STORE_PORTS);
  const flag = (name: string) => args.find((a) => a.startsWith(`-${name}=`))?.split('=')[1];

  it('binds loopback only, on ports no other local server uses', () => {
    expect(flag('ip.bind')).toBe('127.0.0.1');
    const own = ['master.port', 'volume.port', 'filer.port', 's3.port'].flatMap((k) => [Number(flag(k)), Number(flag(`${k}.grpc`))]);
    const others = localServers(2).flatMap((s) => s.ports);
    expect(own.filter((p) => others.includes(p))).toEqual([]);
  });

  it('starts none of the extras whose default ports collide (Iceberg catalog on 8181 = registry-b) or that nothing uses', () => {
    expect(localServers(2).flatMap((s) => s.ports)).toContain(8181);
    expect(flag('s3.port.iceberg')).toBe('0');
    expect(flag('s3.port.lance')).toBe('0');
    expect(flag('webdav')).toBe('false');
    expect(flag('admin.port.legacy')).toBe('0');
  });
});
