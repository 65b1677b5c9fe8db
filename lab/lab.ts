// The local lab: the desktop gateway, the cloud gateway, every second and every client are real systemd
// hosts (systemd-nspawn, booted from the shared base image through overlayfs), each with sshd and its own
// network namespace; the robot is a plain namespace. Networks, all inside namespaces made here:
//   robot LAN   a switch (the topology's robot subnet) with the robot (static address), the desktop's LAN NIC
//               and the LAN router, which serves DHCP with dnsmasq (lab/lanRouter.ts)
//   internet    desktop, gateway, clients, controller on a switch (203.0.113.0/24, documentation range;
//               the gateway also holds the topology's publicAddress). A client, like a laptop at home,
//               reaches the robot LAN only through its own OpenVPN tunnel to the gateway. With NAT
//               (`nat`), the desktop has no leg here: the LAN router has one and masquerades, and the
//               controller gets a leg on the robot LAN to reach the desktop (like a laptop in the office).
// The desktop runs one flavour of network management (lab/desktopFlavour.ts: plain, networkmanager, networkd).
//   VPC         gateway and seconds on a switch with MTU 9001, as in AWS (the topology's cloud IPs)
// The controller namespace, from which provisioning runs, has no default route, so nothing it sends
// can leave the machine. Only the SSH endpoints of the topology are rewritten to reach the lab hosts.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { serializeTopology } from '../src/core/topology/file';
import type { ValidTopology } from '../src/core/topology/types';
import { applyDesktopFlavour, type DesktopFlavour, type DesktopNet, labSetsAddresses } from './desktopFlavour';
import { ensureBaseImage, LAB_USER } from './image';
import { dhcpRange, freeAddress, inSubnet, type RouterPlan, startDhcp, startNat, subnetHosts } from './lanRouter';
import { must, run } from './sh';
import { formatWanSpec, startWan, type Wan, type WanSpec } from './wan';

export const INET_PREFIX = '203.0.113';
export const CONTROLLER_INET = `${INET_PREFIX}.250`;
/** The LAN router's public-like address with NAT (the desktop's .2 is then unused). */
export const ROUTER_INET = `${INET_PREFIX}.3`;
/** Clients get internet addresses from here up (.1 is the gateway, .2 the desktop, .3 the LAN router, .250 the controller). */
const CLIENT_INET_FIRST = 20;

export interface LabOptions {
  /** The desktop's network management (default plain: no manager, as the lab always had). */
  desktop?: DesktopFlavour;
  /** The desktop behind the LAN router's NAT, with no internet leg of its own. */
  nat?: boolean;
  /** An emulated WAN (lab/wan.ts, parsed beforehand) at the uplink: between the desktop or its NAT router and the internet switch. */
  wan?: WanSpec;
}

export interface LabHost {
  name: string;
  role: 'gateway' | 'second' | 'desktop' | 'client';
  ns: string;
  /** Address the controller's SSH reaches (internet side), if any. */
  inetIp?: string;
  dir: string;
  pid?: number;
}

export interface LabState {
  prefix: string;
  stateDir: string;
  topologyFile: string;
  knownHosts: string;
  key: string;
  robotNs: string;
  robotIp: string;
  robotIf: string;
  controllerNs: string;
  hosts: LabHost[];
  namespaces: string[];
  desktopFlavour: DesktopFlavour;
  nat: boolean;
  /** The LAN router: its namespace, LAN address, public-like address (NAT only) and DHCP pool. */
  router: { ns: string; lanIp: string; publicIp?: string; range: [string, string] };
  /**
   * With a WAN: its namespace, the spec (canonical form), the links there towards the uplink's host (`a`) and
   * the internet switch (`b`), and the emulator's pid once Lab.startWan() started it.
   */
  wan?: { ns: string; spec: string; rttMs: number; a: string; b: string; pid?: number };
  /** The desktop's LAN address once it had one (from dnsmasq with DHCP addressing), and the controller's (NAT only). */
  desktopLanIp?: string;
  controllerLanIp?: string;
}

function sh(ns: string, cmd: string, args: string[], input?: string) {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], { input });
}

/** Polls `fn` every `intervalMs` (blocking) until it holds or `timeoutMs` passed; whether it held. */
export function waitFor(fn: () => boolean, timeoutMs: number, intervalMs = 200): boolean {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (fn()) return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, intervalMs);
  }
  return false;
}

function waitUntil(what: string, fn: () => boolean, timeoutMs: number): void {
  if (!waitFor(fn, timeoutMs)) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** The robot's address: the highest free host address up to .83 of the robot subnet (not a rosvpn host's). */
function robotAddress(robotSubnet: string, used: ReadonlySet<string>): string {
  const [net, bits] = robotSubnet.split('/');
  const netOctets = net.split('.').map(Number);
  const hostBits = 32 - Number(bits);
  let robotIp = '';
  for (let n = Math.min(83, 2 ** hostBits - 2); n > 0 && !robotIp; n--) {
    const v = ((netOctets[0] << 24) | (netOctets[1] << 16) | (netOctets[2] << 8) | netOctets[3]) + n;
    const ip = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
    if (!used.has(ip)) robotIp = ip;
  }
  return robotIp;
}

/** The subnet's first and last host addresses (the router prefers the first, the controller the last). */
function subnetHosts1(subnet: string): string {
  return subnetHosts(subnet)[0];
}
function subnetTop(subnet: string): string {
  const h = subnetHosts(subnet);
  return h[h.length - 1];
}

/** The first global IPv4 address on `ifname` in namespace `ns`, if any. */
export function lanAddress(ns: string, ifname: string): string | undefined {
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(run('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', ifname, 'scope', 'global']).stdout);
  return m?.[1];
}

export class Lab {
  readonly prefix: string;
  readonly stateDir: string;
  private state?: LabState;
  private wanSpec?: WanSpec;

  constructor(
    prefix = 'rvlab',
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.prefix = prefix;
    this.stateDir = path.join('/run/rosvpn-lab', prefix);
  }

  get info(): LabState {
    if (!this.state) throw new Error('the lab is not up');
    return this.state;
  }

  static load(prefix = 'rvlab'): LabState | undefined {
    const f = path.join('/run/rosvpn-lab', prefix, 'state.json');
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as LabState) : undefined;
  }

  private addNs(short: string): string {
    const ns = `${this.prefix}-${short}`;
    must('ip', ['netns', 'add', ns]);
    this.state!.namespaces.push(ns);
    must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth from `ns` (named `ifname` there) to the switch bridge in `switchNs`. */
  private plug(ns: string, ifname: string, switchNs: string, mtu: number): void {
    const tmp = `${this.prefix}t${this.state!.namespaces.length}${Math.floor(Math.random() * 1000)}`;
    const port = `p-${ifname}-${ns.slice(-6)}`.slice(0, 15);
    must('ip', ['link', 'add', tmp, 'mtu', String(mtu), 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', switchNs]);
    must('ip', ['-n', ns, 'link', 'set', tmp, 'name', ifname]);
    must('ip', ['-n', ns, 'link', 'set', ifname, 'mtu', String(mtu), 'up']);
    must('ip', ['-n', switchNs, 'link', 'set', port, 'master', 'sw', 'mtu', String(mtu), 'up']);
  }

  private addSwitch(short: string, mtu: number): string {
    const ns = this.addNs(short);
    must('ip', ['-n', ns, 'link', 'add', 'sw', 'type', 'bridge']);
    must('ip', ['-n', ns, 'link', 'set', 'sw', 'mtu', String(mtu), 'up']);
    return ns;
  }

  /** Builds networks, boots every host, and writes the lab's rosvpn.json (SSH endpoints rewritten). */
  // long: the lab's whole wiring in order (switches, hosts, router, boot, waits); each part is a method of its own
  up(t: ValidTopology, opts: LabOptions = {}): LabState {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, overlayfs, systemd-nspawn)');
    if (fs.existsSync(this.stateDir)) throw new Error(`a lab is already up in ${this.stateDir}; run: npm run lab -- down`);
    const base = ensureBaseImage(this.log);
    this.wanSpec = opts.wan;
    const state = this.newState(opts);
    must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rosvpn-lab', '-f', state.key]);

    const inet = this.addSwitch('inet', 1500);
    const vpc = this.addSwitch('vpc', 9001);
    state.controllerNs = this.addNs('ctl');
    this.plug(state.controllerNs, 'ctl0', inet, 1500);
    must('ip', ['-n', state.controllerNs, 'addr', 'add', `${CONTROLLER_INET}/24`, 'dev', 'ctl0']);
    const pub = t.gateway.publicAddress ?? `${INET_PREFIX}.1`;
    // The gateway's public address, when it is an IP of its own, is routed to it on the internet switch.
    const extraPub = /^\d+\.\d+\.\d+\.\d+$/.test(pub) && pub !== `${INET_PREFIX}.1` ? pub : undefined;
    this.cloudHosts(t, inet, vpc, extraPub);

    state.robotNs = this.addNs('robot');
    const used = new Set(
      [t.gateway.vpnIp, ...t.seconds.map((s) => s.vpnIp), ...t.clients.map((c) => c.vpnIp), t.desktop?.address ?? ''].map(
        (a) => a.split('/')[0],
      ),
    );
    const robotIp = robotAddress(t.robotSubnet, used);
    state.robotIp = robotIp;
    used.add(robotIp);
    const lan = this.addSwitch('lan', 1500);
    this.plug(state.robotNs, state.robotIf, lan, 1500);
    const router = this.lanRouter(t, lan, inet, used, extraPub);
    let desktopNet: DesktopNet | undefined;
    if (t.desktop) desktopNet = this.desktopHost(t.desktop, lan, inet, extraPub);
    this.clientHosts(t, inet, extraPub);
    must('ip', ['-n', state.robotNs, 'addr', 'add', `${robotIp}/${t.robotSubnet.split('/')[1]}`, 'dev', state.robotIf]);
    if (extraPub) must('ip', ['-n', state.controllerNs, 'route', 'add', `${extraPub}/32`, 'dev', 'ctl0']);
    if (state.nat) {
      // Like a laptop on the office LAN: the controller reaches the NATed desktop on its LAN address.
      state.controllerLanIp = freeAddress(t.robotSubnet, used, [subnetTop(t.robotSubnet)]);
      used.add(state.controllerLanIp);
      this.plug(state.controllerNs, 'lan0', lan, 1500);
      must('ip', ['-n', state.controllerNs, 'addr', 'add', `${state.controllerLanIp}/${router.prefixLen}`, 'dev', 'lan0']);
    }
    router.range = dhcpRange(t.robotSubnet, used);
    state.router.range = router.range;
    this.save();
    startDhcp(router);
    startNat(router);

    for (const h of state.hosts) this.boot(h, base, h.role === 'desktop' ? desktopNet : undefined);
    this.save();
    for (const h of state.hosts) {
      waitUntil(`sshd on ${h.name}`, () => /:22\b/.test(sh(h.ns, 'ss', ['-Hltn']).stdout), 60000);
    }
    if (t.desktop) {
      const d = state.hosts.find((h) => h.role === 'desktop')!;
      waitUntil(
        `the desktop's LAN address (${state.desktopFlavour})`,
        () => !!(state.desktopLanIp = lanAddress(d.ns, t.desktop!.lanInterface)),
        90000,
      );
      this.save();
    }
    fs.writeFileSync(state.topologyFile, serializeTopology(this.labTopology(t, state)));
    this.log(`lab up: ${state.hosts.map((h) => h.name).join(', ')}, robot ${robotIp}; topology ${state.topologyFile}`);
    this.log(
      `lab LAN: router ${state.router.lanIp} (dnsmasq ${router.range.join('-')}${state.nat ? `; NAT to ${state.router.publicIp}` : ''}), desktop ${state.desktopFlavour} ${state.desktopLanIp ?? '-'}${state.nat ? `, controller ${state.controllerLanIp}` : ''}`,
    );
    return state;
  }

  /**
   * Starts the emulated WAN of a lab made with `wan` (after up(), which is synchronous): the emulator runs as a
   * child of this process, ends with it, and is killed by labDown with the rest of the WAN namespace.
   */
  async startWan(): Promise<Wan> {
    const state = this.info;
    if (!state.wan || !this.wanSpec) throw new Error('this lab has no WAN (give wan to up())');
    const wan = await startWan(state.wan.ns, { a: state.wan.a, b: state.wan.b, spec: this.wanSpec });
    state.wan.pid = wan.pid;
    this.save();
    this.log(
      `lab WAN: ${state.wan.spec} in ${state.wan.ns} (emulator pid ${wan.pid}), between ${state.nat ? 'the NAT router' : 'the desktop'} and the internet`,
    );
    return wan;
  }

  /** The state directory and the state before any host, saved so that `down` can clean up a half-made lab. */
  private newState(opts: LabOptions): LabState {
    fs.mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const state: LabState = {
      prefix: this.prefix,
      stateDir: this.stateDir,
      topologyFile: path.join(this.stateDir, 'rosvpn.json'),
      knownHosts: path.join(this.stateDir, 'known_hosts'),
      key: path.join(this.stateDir, 'id_ed25519'),
      robotNs: '',
      robotIp: '',
      robotIf: 'eth0',
      controllerNs: '',
      hosts: [],
      namespaces: [],
      desktopFlavour: opts.desktop ?? 'plain',
      nat: !!opts.nat,
      router: { ns: '', lanIp: '', range: ['', ''] },
    };
    this.state = state;
    this.save();
    return state;
  }

  /** The gateway (on the internet and the VPC) and the seconds (on the VPC), with the topology's cloud IPs. */
  private cloudHosts(t: ValidTopology, inet: string, vpc: string, extraPub: string | undefined): void {
    const state = this.info;
    const cloudPrefix = t.cloudSubnet ? t.cloudSubnet.split('/')[1] : '24';
    const gwInet = `${INET_PREFIX}.1`;
    const gw: LabHost = {
      name: 'gateway',
      role: 'gateway',
      ns: this.addNs('gateway'),
      inetIp: gwInet,
      dir: path.join(this.stateDir, 'gateway'),
    };
    this.plug(gw.ns, 'inet0', inet, 1500);
    must('ip', ['-n', gw.ns, 'addr', 'add', `${gwInet}/24`, 'dev', 'inet0']);
    if (extraPub) must('ip', ['-n', gw.ns, 'addr', 'add', `${extraPub}/32`, 'dev', 'inet0']);
    this.plug(gw.ns, 'eth0', vpc, 9001);
    must('ip', ['-n', gw.ns, 'addr', 'add', `${t.gateway.cloudIp}/${cloudPrefix}`, 'dev', 'eth0']);
    state.hosts.push(gw);

    t.seconds.forEach((s, i) => {
      const h: LabHost = { name: s.name, role: 'second', ns: this.addNs(`s${i}`), dir: path.join(this.stateDir, `s-${s.name}`) };
      this.plug(h.ns, 'eth0', vpc, 9001);
      must('ip', ['-n', h.ns, 'addr', 'add', `${s.cloudIp}/${cloudPrefix}`, 'dev', 'eth0']);
      state.hosts.push(h);
    });
  }

  /**
   * The one place where a host's uplink is plugged into the internet switch (the desktop's own leg, or with
   * NAT the LAN router's WAN leg): an emulated WAN goes in here, between `ns` and the switch.
   */
  private uplink(ns: string, ifname: string, inet: string, address: string | undefined, extraPub: string | undefined): void {
    const state = this.info;
    if (!this.wanSpec) this.plug(ns, ifname, inet, 1500);
    else {
      if (state.wan) throw new Error('the lab has one uplink for its WAN, and it is taken');
      // host ns:ifname <-> wan ns:up0 | emulator | wan ns:inet0 <-> internet switch; startWan() brings up0 and inet0 up.
      const wanNs = this.addNs('wan');
      const tmp = `${this.prefix}w${Math.floor(Math.random() * 1000)}`;
      must('ip', ['link', 'add', tmp, 'mtu', '1500', 'netns', ns, 'type', 'veth', 'peer', 'name', 'up0', 'netns', wanNs]);
      must('ip', ['-n', ns, 'link', 'set', tmp, 'name', ifname]);
      must('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
      const port = `p-wan-${this.prefix}`.slice(0, 15);
      const tmp2 = `${this.prefix}v${Math.floor(Math.random() * 1000)}`;
      must('ip', ['link', 'add', tmp2, 'mtu', '1500', 'netns', wanNs, 'type', 'veth', 'peer', 'name', port, 'netns', inet]);
      must('ip', ['-n', wanNs, 'link', 'set', tmp2, 'name', 'inet0']);
      must('ip', ['-n', inet, 'link', 'set', port, 'master', 'sw', 'mtu', '1500', 'up']);
      state.wan = { ns: wanNs, spec: formatWanSpec(this.wanSpec), rttMs: this.wanSpec.rttMs, a: 'up0', b: 'inet0' };
    }
    if (address === undefined) return; // its manager sets the address and route
    must('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', ifname]);
    if (extraPub) must('ip', ['-n', ns, 'route', 'add', `${extraPub}/32`, 'dev', ifname]);
  }

  /**
   * The LAN router on the robot LAN switch: the topology's static desktop gateway address when it is free, else
   * .1, else the lowest free address; with NAT also a leg on the internet switch. dnsmasq and nft start later,
   * once every LAN address is known (the pool must avoid them all).
   */
  private lanRouter(t: ValidTopology, lan: string, inet: string, used: Set<string>, extraPub: string | undefined): RouterPlan {
    const state = this.info;
    const ns = this.addNs('router');
    const [, prefixLen] = t.robotSubnet.split('/');
    const staticGw = t.desktop?.addressing === 'static' ? t.desktop.defaultGateway : undefined;
    const lanIp = freeAddress(t.robotSubnet, used, [
      staticGw && inSubnet(staticGw, t.robotSubnet) ? staticGw : undefined,
      subnetHosts1(t.robotSubnet),
    ]);
    used.add(lanIp);
    this.plug(ns, 'lan0', lan, 1500);
    must('ip', ['-n', ns, 'addr', 'add', `${lanIp}/${prefixLen}`, 'dev', 'lan0']);
    state.router = { ns, lanIp, range: ['', ''] };
    const plan: RouterPlan = { ns, lanIf: 'lan0', lanIp, prefixLen, range: ['', ''], stateDir: state.stateDir };
    if (state.nat) {
      this.uplink(ns, 'wan0', inet, ROUTER_INET, extraPub);
      state.router.publicIp = ROUTER_INET;
      plan.wan = { ifname: 'wan0', ip: ROUTER_INET, routes: extraPub ? [`${extraPub}/32`] : [] };
    }
    return plan;
  }

  /**
   * The desktop: its LAN NIC (named as the topology's LAN interface) on the robot LAN switch, and its own leg on
   * the internet switch unless it is behind NAT. Returns what its flavour configures at boot.
   */
  private desktopHost(desktop: NonNullable<ValidTopology['desktop']>, lan: string, inet: string, extraPub: string | undefined): DesktopNet {
    const state = this.info;
    const deskInet = `${INET_PREFIX}.2`;
    const d: LabHost = {
      name: 'desktop',
      role: 'desktop',
      ns: this.addNs('desktop'),
      inetIp: state.nat ? undefined : deskInet,
      dir: path.join(this.stateDir, 'desktop'),
    };
    const isStatic = desktop.addressing === 'static' && !!desktop.address;
    // Behind NAT a static desktop without a gateway of its own routes through the LAN router.
    const gateway = desktop.defaultGateway ?? (state.nat ? state.router.lanIp : undefined);
    const net: DesktopNet = {
      flavour: state.desktopFlavour,
      lanIf: desktop.lanInterface,
      lanStatic: isStatic ? { address: desktop.address!, gateway } : undefined,
      inet: state.nat ? undefined : { ifname: 'inet0', address: `${deskInet}/24`, routes: extraPub ? [`${extraPub}/32`] : [] },
    };
    const bySelf = labSetsAddresses(net);
    this.plug(d.ns, desktop.lanInterface, lan, 1500);
    if (bySelf.lan) {
      must('ip', ['-n', d.ns, 'addr', 'add', desktop.address!, 'dev', desktop.lanInterface]);
      if (state.nat) must('ip', ['-n', d.ns, 'route', 'add', 'default', 'via', gateway!, 'dev', desktop.lanInterface]);
    }
    if (net.inet) {
      if (bySelf.inet) this.uplink(d.ns, 'inet0', inet, deskInet, extraPub);
      else this.uplink(d.ns, 'inet0', inet, undefined, extraPub);
    }
    state.hosts.push(d);
    return net;
  }

  /**
   * One host per client, on the internet switch only (like a laptop at home): it reaches the gateway's
   * public address and nothing of the robot LAN, which it joins through its tunnel alone.
   */
  private clientHosts(t: ValidTopology, inet: string, extraPub: string | undefined): void {
    const state = this.info;
    const taken = new Set([`${INET_PREFIX}.1`, `${INET_PREFIX}.2`, ROUTER_INET, CONTROLLER_INET, extraPub ?? '']);
    let n = CLIENT_INET_FIRST;
    t.clients.forEach((c, i) => {
      while (taken.has(`${INET_PREFIX}.${n}`)) n++;
      if (n > 249) throw new Error(`the lab has internet addresses for ${i} clients, not ${t.clients.length}`);
      const ip = `${INET_PREFIX}.${n++}`;
      const h: LabHost = {
        name: c.name,
        role: 'client',
        ns: this.addNs(`c${i}`),
        inetIp: ip,
        dir: path.join(this.stateDir, `c-${c.name}`),
      };
      this.plug(h.ns, 'inet0', inet, 1500);
      must('ip', ['-n', h.ns, 'addr', 'add', `${ip}/24`, 'dev', 'inet0']);
      if (extraPub) must('ip', ['-n', h.ns, 'route', 'add', `${extraPub}/32`, 'dev', 'inet0']);
      state.hosts.push(h);
    });
  }

  /** Overlay root, identity, host keys, the lab key, then systemd-nspawn --boot in the host's namespace. */
  private boot(h: LabHost, base: string, desktopNet?: DesktopNet): void {
    for (const d of ['upper', 'work', 'root']) fs.mkdirSync(path.join(h.dir, d), { recursive: true });
    const root = path.join(h.dir, 'root');
    must('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${base},upperdir=${path.join(h.dir, 'upper')},workdir=${path.join(h.dir, 'work')}`,
      root,
    ]);
    fs.writeFileSync(path.join(root, 'etc/hostname'), `rosvpn-${h.name}\n`);
    fs.appendFileSync(path.join(root, 'etc/hosts'), `127.0.1.1\trosvpn-${h.name}\n`);
    must('ssh-keygen', ['-A', '-f', root]);
    const ssh = path.join(root, 'home', LAB_USER, '.ssh');
    fs.mkdirSync(ssh, { recursive: true, mode: 0o700 });
    fs.copyFileSync(`${this.info.key}.pub`, path.join(ssh, 'authorized_keys'));
    const uid = Number(
      fs
        .readFileSync(path.join(root, 'etc/passwd'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${LAB_USER}:`))!
        .split(':')[2],
    );
    for (const p of [ssh, path.join(ssh, 'authorized_keys')]) fs.chownSync(p, uid, uid);
    if (desktopNet) applyDesktopFlavour(root, desktopNet);
    Lab.spawnHost(this.prefix, h);
  }

  /** Starts systemd-nspawn --boot for a host whose root is mounted; records its pid. */
  static spawnHost(prefix: string, h: LabHost): void {
    const root = path.join(h.dir, 'root');
    const logFd = fs.openSync(path.join(h.dir, 'console.log'), 'a');
    const proc = spawn(
      'systemd-nspawn',
      [
        '-q',
        '-D',
        root,
        '--boot',
        '--register=no',
        '--keep-unit',
        `--network-namespace-path=/run/netns/${h.ns}`,
        '--capability=CAP_NET_ADMIN,CAP_NET_RAW',
        '--bind=/dev/net/tun',
        `--machine=${prefix}-${h.name}`,
      ],
      { stdio: ['ignore', logFd, logFd], detached: true },
    );
    fs.closeSync(logFd);
    proc.unref();
    h.pid = proc.pid;
  }

  /** Powers a host off (as `systemctl poweroff` would) and boots it again; resolves when sshd listens. */
  static reboot(state: LabState, name: string): void {
    const h = state.hosts.find((x) => x.name === name);
    if (!h?.pid) throw new Error(`no running lab host ${name}`);
    powerOff(h);
    Lab.spawnHost(state.prefix, h);
    fs.writeFileSync(path.join(state.stateDir, 'state.json'), JSON.stringify(state, null, 2));
    waitUntil(`sshd on ${h.name} after reboot`, () => /:22\b/.test(sh(h.ns, 'ss', ['-Hltn']).stdout), 60000);
  }

  /** The user's topology with only the SSH endpoints rewritten to reach the lab hosts (clients without one get one). */
  private labTopology(t: ValidTopology, state: LabState): object {
    const ssh = { user: LAB_USER, identityFile: state.key, port: 22 };
    return {
      ...t,
      ssh,
      gateway: { ...t.gateway, host: state.hosts[0].inetIp, user: undefined, port: undefined, identityFile: undefined, jump: undefined },
      seconds: t.seconds.map((s) => ({
        ...s,
        host: s.cloudIp,
        jump: 'gateway',
        user: undefined,
        port: undefined,
        identityFile: undefined,
      })),
      ...(t.desktop
        ? {
            desktop: {
              ...t.desktop,
              host: state.nat ? state.desktopLanIp : `${INET_PREFIX}.2`,
              user: undefined,
              port: undefined,
              identityFile: undefined,
              jump: undefined,
            },
          }
        : {}),
      // Every client is a provisionable host here, reached on its internet address (none: no key at all).
      clients: t.clients.length
        ? t.clients.map((c) => ({
            name: c.name,
            vpnIp: c.vpnIp,
            host: state.hosts.find((h) => h.role === 'client' && h.name === c.name)!.inetIp,
          }))
        : undefined,
    };
  }

  private save(): void {
    if (this.state) fs.writeFileSync(path.join(this.stateDir, 'state.json'), JSON.stringify(this.state, null, 2));
  }

  /** The PID (host view) of a lab host's init, for nsenter. */
  static initPid(h: LabHost): number {
    const kids = run('ps', ['--ppid', String(h.pid), '-o', 'pid='])
      .stdout.trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    if (!kids.length) throw new Error(`${h.name} is not running`);
    return kids[0];
  }

  /** Runs a command inside a lab host (all its namespaces), as root. */
  static inHost(h: LabHost, cmd: string[], input?: string) {
    return run('nsenter', ['-t', String(Lab.initPid(h)), '-m', '-u', '-i', '-n', '-p', '--', ...cmd], { input });
  }
}

/**
 * Whether a process still runs. A host's systemd-nspawn is a child of the process that booted it, and a child
 * that exited stays a zombie until Node reaps it on its event loop, which powerOff's wait blocks: kill -0
 * succeeds on a zombie, so it counts as gone here ('Z' in /proc/PID/stat).
 */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** SIGTERM makes systemd-nspawn power the container off cleanly; KILL after 20 s. */
export function powerOff(h: LabHost, log: (l: string) => void = () => undefined): void {
  if (!h.pid || !alive(h.pid)) return;
  run('kill', ['-TERM', String(h.pid)]);
  const end = Date.now() + 20000;
  while (Date.now() < end && alive(h.pid)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  if (alive(h.pid)) {
    log(`${h.name} did not power off in 20 s; killing it`);
    run('kill', ['-KILL', String(h.pid)]);
  }
}

/**
 * Powers every host off, unmounts, deletes the namespaces and the state, and returns what is left over
 * (empty when clean): namespaces with the prefix, overlay mounts under the state dir, nspawn processes.
 */
export function labDown(prefix = 'rvlab', log: (l: string) => void = () => undefined): string[] {
  const state = Lab.load(prefix);
  const stateDir = path.join('/run/rosvpn-lab', prefix);
  // dnsmasq runs in the LAN router's namespace: killed with the namespace's processes below, checked at the end.
  const dnsmasqPid = (() => {
    try {
      return Number(fs.readFileSync(path.join(stateDir, 'dnsmasq.pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  })();
  for (const h of state?.hosts ?? []) powerOff(h, log);
  const mounts = () =>
    fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m) => m && m.startsWith(`${stateDir}/`));
  for (const m of mounts().sort().reverse()) run('umount', ['-l', m]);
  const nsList = () =>
    run('ip', ['netns', 'list'])
      .stdout.split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.startsWith(`${prefix}-`));
  for (const ns of nsList()) {
    for (const pid of run('ip', ['netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean)) run('kill', ['-KILL', pid]);
    run('ip', ['netns', 'del', ns]);
  }
  if (!mounts().length) fs.rmSync(stateDir, { recursive: true, force: true });
  const wanPid = state?.wan?.pid;
  if (wanPid && alive(wanPid)) run('kill', ['-KILL', String(wanPid)]);
  const left = [
    ...(dnsmasqPid && alive(dnsmasqPid) ? [`dnsmasq ${dnsmasqPid}`] : []),
    ...(wanPid && alive(wanPid) ? [`WAN emulator ${wanPid}`] : []),
    ...run('pgrep', ['-f', `wan\\.py .*--netns ${prefix}-wan`])
      .stdout.split(/\s+/)
      .filter(Boolean)
      .map((p) => `WAN emulator process ${p}`),
    ...nsList().map((n) => `namespace ${n}`),
    ...mounts().map((m) => `mount ${m}`),
    ...run('pgrep', ['-f', `--machine=${prefix}-`])
      .stdout.split(/\s+/)
      .filter(Boolean)
      .map((p) => `process ${p}`),
  ];
  return left;
}
