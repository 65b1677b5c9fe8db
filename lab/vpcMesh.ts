// A VPC made of network namespaces: one namespace per cloud host (gateway and seconds) with `eth0` on a
// shared MTU-9001 bridge, as in AWS. Each host runs its own rendered net-up.sh. Used by the tests and
// the demo. Safety: the namespaces are linked only to each other and have no default route.
import { renderTopology } from '../src/core/render';
import { NET_UP_PATH } from '../src/core/render/network';
import type { ValidTopology } from '../src/core/topology/types';
import { NetnsSet } from './netns';
import { must, type RunResult } from './sh';

export interface MeshHost {
  name: string;
  cloudIp: string;
  vpnIp: string;
}

export function meshHosts(t: ValidTopology): MeshHost[] {
  return [
    { name: 'gateway', cloudIp: t.gateway.cloudIp, vpnIp: t.gateway.vpnIp },
    ...t.seconds.map((s) => ({ name: s.name, cloudIp: s.cloudIp, vpnIp: s.vpnIp })),
  ];
}

/** The net-up.sh each cloud host installs, by host name. */
export function netUpScripts(t: ValidTopology): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of renderTopology(t).scripts) {
    const netUp = s.embedded.find((e) => e.path === NET_UP_PATH);
    if (netUp) out.set(s.hostName, netUp.content);
  }
  return out;
}

export class VpcMesh {
  readonly lab: NetnsSet;
  readonly hosts: MeshHost[];

  constructor(
    readonly topology: ValidTopology,
    tag: string,
  ) {
    this.lab = new NetnsSet(tag);
    this.hosts = meshHosts(topology);
  }

  /** Creates the VPC bridge and one namespace per host with its cloud address. */
  build(): void {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root (ip netns)');
    const vpc = this.lab.add('vpc');
    must('ip', ['-n', vpc, 'link', 'add', 'vpcbr', 'type', 'bridge']);
    must('ip', ['-n', vpc, 'link', 'set', 'vpcbr', 'mtu', '9001', 'up']);
    this.hosts.forEach((h, i) => {
      const ns = this.lab.add(h.name);
      const tmp = `${this.lab.prefix}v${i}`;
      must('ip', ['link', 'add', tmp, 'netns', ns, 'type', 'veth', 'peer', 'name', `vpc${i}`, 'netns', vpc]);
      must('ip', ['-n', ns, 'link', 'set', tmp, 'name', 'eth0']);
      must('ip', ['-n', ns, 'link', 'set', 'eth0', 'mtu', '9001', 'up']);
      must('ip', ['-n', ns, 'addr', 'add', `${h.cloudIp}/24`, 'dev', 'eth0']);
      must('ip', ['-n', vpc, 'link', 'set', `vpc${i}`, 'master', 'vpcbr', 'mtu', '9001', 'up']);
    });
  }

  /** Runs a host's net-up.sh (from `t`, default the mesh's own topology) inside its namespace. */
  netUp(host: string, t: ValidTopology = this.topology): RunResult {
    const script = netUpScripts(t).get(host);
    if (!script) throw new Error(`no net-up.sh for ${host}`);
    return this.lab.exec(host, 'bash', ['-s'], script);
  }

  /** A don't-fragment ping of `size` payload bytes from one host to another's VPN address. */
  ping(from: string, to: MeshHost, size = 56, waitSeconds = 2): RunResult {
    return this.lab.exec(from, 'ping', ['-c', '1', '-W', String(waitSeconds), '-M', 'do', '-s', String(size), to.vpnIp.split('/')[0]]);
  }

  teardown(): string[] {
    return this.lab.teardown();
  }
}
