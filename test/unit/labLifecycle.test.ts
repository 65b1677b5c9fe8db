// The lifecycle demo's snapshot comparison (lab/lifecycle.ts): every added, removed or changed key is a
// difference, reported as `key: before -> after`; equal snapshots give none.
import { strict as assert } from 'assert';
import { diffSnapshots } from '../../lab/lifecycle';

describe('lifecycle: diffSnapshots', () => {
  const before = new Map([
    ['link eth0', '<BROADCAST,UP> mtu 9001'],
    ['sysctl net.ipv4.ip_forward', '0'],
    ['file /etc/environment', '644 root:root f e3b0c44298fc1c14'],
  ]);

  it('equal snapshots: no difference', () => {
    assert.deepEqual(diffSnapshots(before, new Map(before)), []);
  });

  it('an added, a removed and a changed key each count, sorted, with before and after', () => {
    const after = new Map(before);
    after.set('link rosbridge', '<UP> mtu 1500');
    after.delete('file /etc/environment');
    after.set('sysctl net.ipv4.ip_forward', '1');
    after.set('fdb 00:00:00:00:00:00 dev rosvx0 dst 172.31.1.13 self permanent', '');
    assert.deepEqual(diffSnapshots(before, after), [
      'fdb 00:00:00:00:00:00 dev rosvx0 dst 172.31.1.13 self permanent: - -> (present)',
      'file /etc/environment: 644 root:root f e3b0c44298fc1c14 -> -',
      'link rosbridge: - -> <UP> mtu 1500',
      'sysctl net.ipv4.ip_forward: 0 -> 1',
    ]);
  });
});
