// The lab's base image: one debootstrapped Debian root file system with every package the hosts need,
// shared read-only by all hosts through overlayfs. Cached under /var/cache/rosvpn-lab, keyed by a hash
// of its recipe, so it is rebuilt exactly when the package list (or the recipe) changes.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { must, run } from './sh';

export const CACHE_DIR = process.env.ROSVPN_LAB_CACHE ?? '/var/cache/rosvpn-lab';
export const SUITE = 'bookworm';
export const LAB_USER = 'ubuntu';

/** What the hosts need: systemd as init, sshd, sudo, the real OpenVPN/easy-rsa/CycloneDDS, python3, probes. */
export const BASE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'openssh-server',
  'sudo',
  'iproute2',
  'iputils-ping',
  'procps',
  'openvpn',
  'easy-rsa',
  'openssl',
  'cyclonedds-tools',
  'isc-dhcp-client',
  'ca-certificates',
  // The gateway talks to OpenVPN's management socket (disconnecting a revoked client) with python3.
  'python3',
  // The desktop flavours (`--desktop`): NetworkManager (Ubuntu Desktop), netplan + systemd-networkd (Ubuntu
  // Server; networkd is part of systemd), ifupdown (plain Debian: `iface LAN inet dhcp`). All are off in the
  // base image; the lab switches one on in the desktop's own overlay (lab/desktopFlavour.ts).
  'network-manager',
  // NetworkManager needs polkitd, which needs a logind; debootstrap does not pick a provider by itself.
  'libpam-systemd',
  'netplan.io',
  'ifupdown',
  // The bridge guard (issue N) on the gateway and the desktop: the lab hosts have no internet to install it from.
  'nftables',
];

/** Commands run in the chroot after debootstrap (part of the recipe hash). */
const SETUP = [
  // The lab's login user, like the `ubuntu` user of an EC2 Ubuntu image: passwordless sudo.
  `useradd -m -s /bin/bash ${LAB_USER}`,
  `usermod -p '*' ${LAB_USER}`,
  `echo '${LAB_USER} ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/90-${LAB_USER} && chmod 440 /etc/sudoers.d/90-${LAB_USER}`,
  // Each host gets its own host keys at lab start; none are baked into the shared image.
  'rm -f /etc/ssh/ssh_host_*',
  // Nothing in the hosts may reach for the outside: no apt timers, no time sync.
  'systemctl mask apt-daily.timer apt-daily-upgrade.timer systemd-timesyncd.service 2>/dev/null || true',
  'echo "PrintMotd no" > /etc/ssh/sshd_config.d/rosvpn-lab.conf',
  // The login user's systemd --user manager stays once started. In a container its stop can hang ("Processes still
  // around after final SIGKILL": cgroup kills fail with EIO under nspawn), and a login that comes during that stop
  // (10 s after the last logout: the flood demo's 10 s floods) waits for it: seen as an SSH keepalive timeout.
  "mkdir -p /etc/systemd/logind.conf.d && printf '[Login]\\nUserStopDelaySec=infinity\\n' > /etc/systemd/logind.conf.d/rosvpn-lab.conf",
  // No network manager on any host unless its flavour asks for one: the gateway and the seconds keep the
  // addresses the lab gives them. (A desktop flavour enables its manager in that host's overlay.)
  'systemctl disable NetworkManager.service NetworkManager-wait-online.service NetworkManager-dispatcher.service systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service networking.service 2>/dev/null; true',
  'rm -f /etc/netplan/*.yaml',
];

export function recipeHash(): string {
  return createHash('sha256')
    .update(JSON.stringify({ SUITE, BASE_PACKAGES, SETUP, v: 1 }))
    .digest('hex')
    .slice(0, 16);
}

export function baseDir(): string {
  return path.join(CACHE_DIR, `base-${recipeHash()}`);
}

/** Builds the base image unless a complete one with the same recipe is cached; returns its path. */
export function ensureBaseImage(log: (line: string) => void = () => undefined): string {
  const dir = baseDir();
  if (fs.existsSync(path.join(dir, '.rosvpn-complete'))) return dir;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // One builder at a time on this machine (two labs of other checkouts starting together would each delete
  // the other's half-built image): the others wait for it and use its image.
  const lock = path.join(CACHE_DIR, '.building.lock');
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const owner = Number(fs.readFileSync(lock, 'utf8') || 0);
      if (!owner || !alive(owner)) fs.rmSync(lock, { force: true });
      else {
        log(`waiting for process ${owner}, which builds the lab base image`);
        while (alive(owner) && fs.existsSync(lock)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
      }
      if (fs.existsSync(path.join(dir, '.rosvpn-complete'))) return dir;
    }
  }
  try {
    return buildBaseImage(dir, log);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function buildBaseImage(dir: string, log: (line: string) => void): string {
  // Stale images of older recipes go, except one a running lab still has mounted (another checkout's lab on
  // this machine: deleting its lower directory would break its hosts); a half-built one of this recipe is rebuilt.
  const mounts = fs.readFileSync('/proc/mounts', 'utf8');
  for (const e of fs.readdirSync(CACHE_DIR))
    if (e.startsWith('base-') && !mounts.includes(`lowerdir=${path.join(CACHE_DIR, e)},`))
      fs.rmSync(path.join(CACHE_DIR, e), { recursive: true, force: true });
  const tmp = `${dir}.building`;
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`building the lab base image (debootstrap ${SUITE}, ${BASE_PACKAGES.length} packages; cached afterwards)`);
  const started = Date.now();
  const r = run('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, SUITE, tmp], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`debootstrap failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  for (const cmd of SETUP) must('chroot', [tmp, '/bin/sh', '-c', cmd]);
  fs.writeFileSync(path.join(tmp, '.rosvpn-complete'), `${new Date().toISOString()}\n`);
  fs.renameSync(tmp, dir);
  log(`base image ready in ${Math.round((Date.now() - started) / 1000)} s: ${dir}`);
  return dir;
}
