// What `cloud up` writes back into rosvpn.json: ids, the Elastic IP, and the SSH target only when it was a
// stale public address. The result must validate and keep everything else in the file.
import { strict as assert } from 'assert';
import { cloudForget, cloudWriteBack } from '../../src/core/ec2/writeBack';
import { applyTopologyEdit } from '../../src/core/topology/file';
import { validateTopology } from '../../src/core/topology/validate';
import type { ValidTopology } from '../../src/core/topology/types';

const raw = () => ({
  name: 'demo',
  robotSubnet: '192.168.0.0/24',
  comment: 'kept',
  gateway: { host: '44.232.53.80', publicAddress: '44.232.53.80', cloudIp: '172.31.1.11', vpnIp: '192.168.0.130/24', note: 'kept too' },
  seconds: [
    { name: 'a', host: '172.31.1.12', jump: 'gateway', cloudIp: '172.31.1.12', vpnIp: '192.168.0.131/24' },
    { name: 'b', host: '172.31.1.13', jump: 'gateway', cloudIp: '172.31.1.13', vpnIp: '192.168.0.132/24', owner: 'ana' },
  ],
});
const valid = (doc: unknown): ValidTopology => {
  const r = validateTopology(doc);
  assert.ok(r.topology, JSON.stringify(r.diagnostics));
  return r.topology;
};
const up = { instances: { gateway: 'i-0123456789abcdef0', a: 'i-0123456789abcdef1', b: 'i-0123456789abcdef2' }, publicIp: '203.0.113.10' };

describe('EC2: write-back into rosvpn.json after cloud up', () => {
  it('writes ids and the Elastic IP; a host that was the old public address follows it; other keys stay', () => {
    const doc = raw();
    const w = cloudWriteBack(valid(doc), up);
    type Written = { comment: string; gateway: Record<string, string>; seconds: Record<string, string>[] };
    const next = applyTopologyEdit(doc, w.edit) as unknown as Written;
    valid(next);
    assert.equal(next.gateway.instanceId, 'i-0123456789abcdef0');
    assert.equal(next.gateway.publicAddress, '203.0.113.10');
    assert.equal(next.gateway.host, '203.0.113.10');
    assert.deepEqual(
      next.seconds.map((s) => s.instanceId),
      ['i-0123456789abcdef1', 'i-0123456789abcdef2'],
    );
    assert.equal(next.comment, 'kept');
    assert.equal(next.gateway.note, 'kept too');
    assert.equal(next.seconds[1].owner, 'ana');
    assert.deepEqual(w.changes, [
      'gateway.instanceId: (unset) -> i-0123456789abcdef0',
      'gateway.publicAddress: 44.232.53.80 -> 203.0.113.10',
      'gateway.host: 44.232.53.80 -> 203.0.113.10',
      'seconds[0].instanceId: (unset) -> i-0123456789abcdef1',
      'seconds[1].instanceId: (unset) -> i-0123456789abcdef2',
    ]);
    assert.deepEqual(w.notes, []);
  });

  it('a rerun with the same result changes nothing', () => {
    const doc = raw();
    const once = applyTopologyEdit(doc, cloudWriteBack(valid(doc), up).edit);
    const again = cloudWriteBack(valid(once), up);
    assert.deepEqual(again.edit, {});
    assert.deepEqual(again.changes, []);
  });

  it('after cloud down, the ids are removed and everything else stays', () => {
    const doc = raw();
    const up1 = applyTopologyEdit(doc, cloudWriteBack(valid(doc), up).edit);
    const f = cloudForget(valid(up1));
    const down = applyTopologyEdit(up1, f.edit) as unknown as { gateway: Record<string, string>; seconds: Record<string, string>[] };
    valid(down);
    assert.equal('instanceId' in down.gateway, false);
    assert.deepEqual(
      down.seconds.map((s) => 'instanceId' in s),
      [false, false],
    );
    assert.equal(down.seconds[1].owner, 'ana');
    assert.equal(f.changes.length, 3);
    assert.deepEqual(cloudForget(valid(down)).edit, {});
  });

  it('an ssh alias as host is kept, with a note on where it must point', () => {
    const doc = raw();
    doc.gateway.host = 'ros-openvpn';
    const w = cloudWriteBack(valid(doc), up);
    assert.equal((w.edit.gateway as { host?: string }).host, undefined);
    assert.match(w.notes.join('\n'), /gateway\.host is 'ros-openvpn': make sure it reaches 203\.0\.113\.10/);
  });

  it('the validator refuses a malformed instanceId and names the field', () => {
    const doc = raw() as ReturnType<typeof raw> & { gateway: { instanceId?: string } };
    doc.gateway.instanceId = 'i-xyz';
    const r = validateTopology(doc);
    assert.equal(r.topology, undefined);
    const d = r.diagnostics.find((x) => x.path === 'gateway.instanceId');
    assert.ok(d && d.severity === 'error', JSON.stringify(r.diagnostics));
    assert.match(`${d.message} ${d.fix}`, /i-0123456789abcdef0/);
  });
});
