import * as crypto from 'node:crypto';
import { AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka';
import { scramCredential, wireAcl } from './kafka-principals';

/** RFC 5802 Hi(): U1 = HMAC(p, salt + INT(1)), Ui = HMAC(p, Ui-1), result U1 ^ … ^ Ui (written out, not PBKDF2). */
function hi(password: string, salt: Buffer, iterations: number): Buffer {
  let u = crypto
    .createHmac('sha512', password)
    .update(Buffer.concat([salt, Buffer.from([0, 0, 0, 1])]))
    .digest();
  const out = Buffer.from(u);
  for (let i = 1; i < iterations; i++) {
    u = crypto.createHmac('sha512', password).update(u).digest();
    for (let j = 0; j < out.length; j++) out[j] ^= u[j];
  }
  return out;
}

describe('scramCredential', () => {
  it("is RFC 5802's salted password with HMAC-SHA-512, a fresh 32-byte salt each time", () => {
    const salt = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
    const c = scramCredential('pencil', 4096, salt);
    expect(c.iterations).toBe(4096);
    expect(c.saltedPassword.equals(hi('pencil', salt, 4096))).toBe(true);
    expect(c.saltedPassword).toHaveLength(64);
    const a = scramCredential('pencil');
    const b = scramCredential('pencil');
    expect(a.salt).toHaveLength(32);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.iterations).toBeGreaterThanOrEqual(4096);
  });
  it('refuses an empty password', () => {
    expect(() => scramCredential('')).toThrow('a SCRAM password must not be empty');
  });
});

describe('wireAcl', () => {
  it('maps a binding onto the protocol numbers', () => {
    expect(
      wireAcl({
        principal: 'User:influxdb-sink',
        resourceType: 'GROUP',
        resourceName: 'summit-influxdb-sink',
        patternType: 'LITERAL',
        operation: 'READ',
        permission: 'ALLOW',
        host: '*',
      }),
    ).toEqual({
      principal: 'User:influxdb-sink',
      host: '*',
      resourceType: ResourceTypes.GROUP,
      resourceName: 'summit-influxdb-sink',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperations.READ,
      permissionType: AclPermissionTypes.ALLOW,
    });
    expect([ResourceTypes.GROUP, ResourcePatternTypes.LITERAL, AclOperations.READ, AclPermissionTypes.ALLOW]).toEqual([3, 3, 3, 3]);
  });
});
