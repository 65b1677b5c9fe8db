// The lab's generated clients (`npm run demo -- --clients N`): names and robot-subnet addresses nobody holds,
// on the starter, on the guide's variables and on a topology that already has clients. No root needed: only
// the topology is built, nothing boots.
import { strict as assert } from 'assert';
import { addLabClients, loadLabTopology } from '../../lab/demo';

const quiet = () => undefined;

describe('lab: generated clients', () => {
  it('the starter gets laptop-1… from the top of the robot subnet down, valid as a topology', () => {
    const t = loadLabTopology(undefined, 2, quiet, { clients: 3 });
    assert.ok(t);
    assert.deepEqual(t.clients, [
      { name: 'laptop-1', vpnIp: '192.168.0.254/24' },
      { name: 'laptop-2', vpnIp: '192.168.0.253/24' },
      { name: 'laptop-3', vpnIp: '192.168.0.252/24' },
    ]);
  });

  it('the guide-variable topology (a /28) gets the free addresses of its own subnet', () => {
    const env = {
      ROSVPN_GATEWAY_CLOUD_IP: '10.1.0.5',
      ROSVPN_SECOND_CLOUD_IP: '10.1.0.6',
      ROSVPN_GATEWAY_VPN_IP: '10.20.30.46/28',
      ROSVPN_SECOND_VPN_IP: '10.20.30.45/28',
    };
    const t = loadLabTopology(undefined, undefined, quiet, { clients: 2, env });
    assert.ok(t);
    assert.equal(t.robotSubnet, '10.20.30.32/28');
    assert.deepEqual(
      t.clients.map((c) => c.vpnIp),
      ['10.20.30.44/28', '10.20.30.43/28'],
    );
  });

  it('skips names and addresses already taken by clients, seconds and a static desktop', () => {
    const raw = {
      robotSubnet: '10.0.0.0/24',
      gateway: { vpnIp: '10.0.0.254/24' },
      seconds: [{ name: 'laptop-2', vpnIp: '10.0.0.252/24' }],
      desktop: { address: '10.0.0.251/24' },
      clients: [{ name: 'laptop-1', vpnIp: '10.0.0.253/24' }],
    };
    addLabClients(raw, 2);
    assert.deepEqual(raw.clients, [
      { name: 'laptop-1', vpnIp: '10.0.0.253/24' },
      { name: 'laptop-3', vpnIp: '10.0.0.250/24' },
      { name: 'laptop-4', vpnIp: '10.0.0.249/24' },
    ]);
  });

  it('a subnet with no free address left is an error naming it', () => {
    const raw = { robotSubnet: '10.0.0.0/30', gateway: { vpnIp: '10.0.0.2/30' }, seconds: [{ name: 's', vpnIp: '10.0.0.1/30' }] };
    assert.throws(() => addLabClients(raw, 1), /10\.0\.0\.0\/30 has no free address for client 1 of 1/);
  });
});
