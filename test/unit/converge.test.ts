// Changes converge, in the generated bash, where the kernel of this machine cannot show it: gretap (no GRE
// module here; the VXLAN side runs for real in test/integration/netup.netns.test.ts) runs against a fake `ip`
// that keeps its devices in a bash array and refuses two gretaps with the same endpoints as the kernel does.
// And the desktop's re-run guard: which changes of rosvpn.json arm the rollback.
import { strict as assert } from 'assert';
import { renderTopology } from '../../src/core/render';
import { bash } from '../../src/core/render/bash';
import { DESKTOP_NET_UP, netSettings, RERUN_GUARD_LIB } from '../../src/core/render/desktop';
import { NET_UP_PATH } from '../../src/core/render/network';
import type { DesktopConfig, ValidTopology } from '../../src/core/topology/types';
import { run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';
import { fn } from '../support/bashFunction';

const FAKE_IP = bash`declare -A DEV=()
ip() { # the few forms of ip that the gretap functions use
  local d a
  case "$*" in
    '-d -o link show') # every link (link.sh's snapshot): eth0, then the gretaps
      echo "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP \    link/ether 02:00:00:00:00:09 brd ff:ff:ff:ff:ff:ff promiscuity 0"
      for d in $(printf '%s\n' "\${!DEV[@]}" | sort); do ip -d -o link show dev "$d"; done ;;
    '-o -4 addr show') echo "2: eth0    inet 172.31.1.11/24 brd 172.31.1.255 scope global eth0\       valid_lft forever preferred_lft forever" ;;
    '-d -o link show dev '*) d=\${!#}; [ -n "\${DEV[$d]+x}" ] || return 1; read -r -a a <<<"\${DEV[$d]}"
      echo "9: $d@eth0: <BROADCAST,MULTICAST,UP> mtu 1462 qdisc noqueue master rosbridge \    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff promiscuity 1 gretap remote \${a[0]} local \${a[1]} dev eth0 ttl 64 pmtudisc" ;;
    'link show dev '*) d=\${!#}; [ -n "\${DEV[$d]+x}" ] ;;
    'link del dev '*) d=\${!#}; [ -n "\${DEV[$d]+x}" ] || return 1; unset "DEV[$d]" ;;
    'link add '*' type gretap '*)
      for d in "\${!DEV[@]}"; do
        if [ "\${DEV[$d]}" = "$9 $7" ]; then echo 'RTNETLINK answers: File exists' >&2; return 2; fi
      done
      DEV[$3]="$9 $7" ;;
    *) echo "fake ip: unexpected: ip $*" >&2; return 3 ;;
  esac
}
`;

describe('converge: gretap devices are a declared set (generated logic, fake ip)', () => {
  const t = loadFixture('gretap-3');
  const netUp = renderTopology(t)
    .scripts.find((s) => s.hostName === 'gateway')!
    .embedded.find((e) => e.path === NET_UP_PATH)!.content;
  // With link.sh's snapshot on, as net-up.sh runs them: guard() forgets it, so each change is seen by what follows.
  const functions = [
    'link_field',
    'link_snap_on',
    'link_snap_forget',
    'link_snap_read',
    'link_snap_fresh',
    'link_get',
    'link_line',
    'link_exists',
    'gretap_list',
    'remove_gretaps_from',
    'converge_gretaps',
  ]
    .map((n) => fn(netUp, n))
    .join('\n');

  /** Runs converge_gretaps once per list of peers; returns what each run changed and the devices after it. */
  function converge(...runs: string[][]): { changed: string[]; devices: string }[] {
    const body = runs
      .map(
        (peers) => `PEERS=(${peers.join(' ')})
converge_gretaps
echo "::devices $(for d in $(printf '%s\\n' "\${!DEV[@]}" | sort); do printf '%s>%s ' "$d" "\${DEV[$d]%% *}"; done)"`,
      )
      .join('\n');
    const harness = `set -euo pipefail
${FAKE_IP}
guard() { link_snap_forget; }
changed() { echo "::changed $*"; }
LINK_SNAP_ON=0 LINK_SNAP_READ=0 LINK_VALUE='' LINK_LINE='' LINK_NAMES=() LINK_ADDRS=()
declare -A LINK_SNAP=() ADDR_SNAP=() ADDR_DEV=()
die() { echo "::die $*"; exit 1; }
${functions}
ensure_mtu() { :; }; ensure_no_address() { :; }; ensure_master() { :; }; ensure_up() { :; }
LOCAL_IP=172.31.1.11 UNDERLAY_IF=eth0 TUNNEL_MTU=1462 BRIDGE=rosbridge
link_snap_on
${body}
`;
    const r = run('bash', ['-c', harness]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const out: { changed: string[]; devices: string }[] = [];
    let changed: string[] = [];
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('::changed ')) changed.push(line.slice(10));
      if (line.startsWith('::devices ')) {
        out.push({ changed, devices: line.slice(10).trim() });
        changed = [];
      }
    }
    return out;
  }

  const three = ['172.31.1.12', '172.31.1.13', '172.31.1.14'];

  it('negative control: the fake refuses a second gretap with the same endpoints, as the kernel does', () => {
    const r = run('bash', [
      '-c',
      `${FAKE_IP}ip link add rosgre0 type gretap local 172.31.1.11 remote 172.31.1.13 ttl 64 dev eth0
ip link add rosgre1 type gretap local 172.31.1.11 remote 172.31.1.13 ttl 64 dev eth0`,
    ]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /File exists/);
  });

  it('creates one device per peer, and a rerun changes nothing', () => {
    const [first, again] = converge(three, three);
    assert.deepEqual(first.changed, ['created rosgre0 to 172.31.1.12', 'created rosgre1 to 172.31.1.13', 'created rosgre2 to 172.31.1.14']);
    assert.equal(first.devices, 'rosgre0>172.31.1.12 rosgre1>172.31.1.13 rosgre2>172.31.1.14');
    assert.deepEqual(again.changed, []);
  });

  it('a second removed from the first place: its device goes ("removed peer"), the others move up, no trace of it', () => {
    const [, after] = converge(three, three.slice(1));
    assert.equal(after.changed[0], 'removed peer 172.31.1.12 (rosgre0)');
    assert.equal(after.devices, 'rosgre0>172.31.1.13 rosgre1>172.31.1.14');
    assert.doesNotMatch(after.devices, /172\.31\.1\.12/);
    assert.deepEqual(converge(three.slice(1), three.slice(1))[1].changed, [], 'a rerun after the removal changes nothing');
  });

  it('the last second removed: only its device goes', () => {
    const [, after] = converge(three, three.slice(0, 2));
    assert.deepEqual(after.changed, ['removed peer 172.31.1.14 (rosgre2)']);
    assert.equal(after.devices, 'rosgre0>172.31.1.12 rosgre1>172.31.1.13');
  });

  it('a renamed second with a new cloudIp is a remove plus an add', () => {
    const [, after] = converge(three, ['172.31.1.12', '172.31.1.13', '172.31.1.24']);
    assert.deepEqual(after.changed, ['removed peer 172.31.1.14 (rosgre2)', 'created rosgre2 to 172.31.1.24']);
  });

  it('peers in another order: each device is re-created to its peer without a clash of endpoints', () => {
    const [, after] = converge(three, ['172.31.1.14', '172.31.1.12', '172.31.1.13']);
    assert.equal(after.devices, 'rosgre0>172.31.1.14 rosgre1>172.31.1.12 rosgre2>172.31.1.13');
  });

  it('no peers left (the last second removed on a gretap gateway): every device goes', () => {
    const [, after] = converge(three, []);
    assert.equal(after.devices, '');
    assert.equal(after.changed.length, 3);
  });
});

describe('desktop re-run guard: which changes of rosvpn.json arm the rollback', () => {
  const base = loadFixture('vxlan-3').desktop!; // static 192.168.0.10/24 via 192.168.0.1 on eno1

  /** What net_changes (the generated bash) reports between two desktop configurations; '' = no guard. */
  function changes(before: string, after: DesktopConfig): string {
    const r = run('bash', ['-c', `${RERUN_GUARD_LIB}net_changes "$1" "$2"`, 'x', before, netSettings(after)]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }
  const was = netSettings(base);

  it('the same settings: no guard (a plain rerun changes nothing)', () => {
    assert.equal(changes(was, base), '');
  });

  it('static -> dhcp, and dhcp -> static', () => {
    const dhcp: DesktopConfig = { ...base, addressing: 'dhcp', address: undefined, defaultGateway: undefined };
    assert.equal(changes(was, dhcp), 'addressing static -> dhcp, address 192.168.0.10/24 -> none, defaultGateway 192.168.0.1 -> none');
    assert.equal(
      changes(netSettings(dhcp), base),
      'addressing dhcp -> static, address none -> 192.168.0.10/24, defaultGateway none -> 192.168.0.1',
    );
  });

  it('another address, another default gateway, another lanInterface', () => {
    assert.equal(changes(was, { ...base, address: '192.168.0.20/24' }), 'address 192.168.0.10/24 -> 192.168.0.20/24');
    assert.equal(changes(was, { ...base, defaultGateway: '192.168.0.254' }), 'defaultGateway 192.168.0.1 -> 192.168.0.254');
    assert.equal(changes(was, { ...base, lanInterface: 'enp3s0' }), 'lanInterface eno1 -> enp3s0');
  });

  it('nothing recorded (an existing bridge, no record): every setting counts as a change, so the run is guarded', () => {
    assert.match(changes('', base), /^lanInterface none -> eno1, addressing none -> static/);
  });

  it("without a record, the installed desktop-net-up.sh's header is read: the same lines as the record", () => {
    const t = loadFixture('vxlan-3') as ValidTopology;
    const installed = renderTopology(t)
      .scripts.find((s) => s.role === 'desktop')!
      .embedded.find((e) => e.path === DESKTOP_NET_UP)!.content;
    const r = run('bash', ['-c', 'grep -E "^(LAN_IF|ADDRESSING|ADDRESS|DEFAULT_GW)=" || true'], { input: installed });
    assert.equal(r.stdout.trimEnd(), was);
    assert.equal(changes(r.stdout, base), '');
  });

  it('the rendered desktop.sh compares the record against the new settings before it arms the rerun rollback', () => {
    const script = renderTopology(loadFixture('vxlan-3')).scripts.find((s) => s.role === 'desktop')!.content;
    const at = (s: string) => {
      const i = script.indexOf(s);
      assert.ok(i >= 0, s);
      return i;
    };
    assert.ok(at('PREV_NET=$(cat /etc/rosvpn/state/desktop.env)') < at(`write_file ${DESKTOP_NET_UP} 755`));
    assert.ok(at('NET_CHANGES=$(net_changes "$PREV_NET" "$NET_WANT")') < at('bridge_rollback "$PREV_DIR" >"$ROLLBACK_NOW"'));
    assert.ok(at('bridge_rollback "$PREV_DIR"') < at(`\n${DESKTOP_NET_UP}\n`));
    assert.ok(at('write_file /etc/rosvpn/state/desktop.env 644') > at('step_begin network-confirm'));
  });
});
