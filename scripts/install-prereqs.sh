#!/usr/bin/env bash
# Installs what the demo, the bench and the tests run on this machine, on a fresh Debian 12 machine (as root).
#   install-prereqs.sh demo   what `npm run demo` needs: the lab (no browser, no code-server)
#   install-prereqs.sh test   + what the tests and `npm run bench` run besides (sshd, sudo, shellcheck, ...)
#   install-prereqs.sh all    + the browser tests' real VS Code and Chromium (ui: scripts/install-ui-tools.sh); the default
# Idempotent: installs only what is missing. CI (.ci/run) and both quick-start commands call it.
set -euo pipefail
cd "$(dirname "$0")/.."

SET=${1:-all}
case "$SET" in demo | test | all) ;; *)
  echo "install-prereqs: unknown set '$SET'; use demo, test or all" >&2
  exit 2
  ;;
esac

# Every program the lab, the demo, the bench and the tests run on this machine (not inside a lab host, whose
# base image lab/image.ts builds), the Debian package that provides it, the set that first needs it
# (demo, test, or ui: installed by scripts/install-ui-tools.sh), and why. lab/tools.ts reads this table:
# the lab's runner refuses a program that is not in it, the demo names the package when one is missing, and
# test/unit/tools.test.ts checks every line against `dpkg -S`. (node runs all of this: it is not listed.)
# program         package             set   why
read -r -d '' TOOLS <<'EOF' || true
ip                iproute2            demo  the lab: namespaces, veths, switches, addresses; `ip netns exec` runs the robot's tools
ss                iproute2            demo  the lab waits until each host's sshd listens
bridge            iproute2            test  the namespace tests read and change VXLAN flood entries
ping              iputils-ping        demo  the robot's 1500-byte don't-fragment ping through the VPN
ddsperf           cyclonedds-tools    demo  the robot's DDS endpoint (the lab hosts have their own in the base image)
env               coreutils           demo  sets the robot's CycloneDDS config and the CLI's HOME in a namespace
nsenter           util-linux          demo  runs DDS endpoints and probes inside a booted lab host
setpriv           util-linux          test  the check test runs the multicast probe as nobody (it needs no root)
mount             mount               demo  the lab hosts' overlay roots
umount            mount               demo  lab teardown
systemd-nspawn    systemd-container   demo  boots each lab host with systemd as PID 1
debootstrap       debootstrap         demo  builds the lab hosts' base image once
chroot            coreutils           demo  configures the base image
ssh-keygen        openssh-client      demo  the lab's SSH key and each host's host keys
ps                procps              demo  finds each lab host's init for nsenter
pgrep             procps              demo  teardown checks that no lab process is left
kill              procps              demo  powers lab hosts off
sysctl            procps              demo  the lab's LAN router forwards (NAT); the namespace tests run the generated network scripts on this machine
dnsmasq           dnsmasq-base        demo  the lab's LAN router: the robot LAN's DHCP server (DHCP only, no DNS; no system service)
nft               nftables            demo  the lab's LAN router: NAT (masquerade) with --nat; the guard test loads the bridge guard's ruleset in its namespaces; the flood demo's counters in the robot's and a second's namespace (--flood)
conntrack         conntrack           demo  the NAT-rebinding measurement flushes the lab LAN router's connection-tracking table (--nat)
bash              bash                demo  runs generated scripts in the namespace lab (lab/vpcMesh.ts) and the tests
sh                dash                test  syntax check of the generated POSIX scripts
shellcheck        shellcheck          test  lints every generated script
sshd              openssh-server      test  the real sshd the SSH layer's tests and the log bench run against
ssh-agent         openssh-client      test  agent authentication tests
ssh-add           openssh-client      test  agent authentication tests
sudo              sudo                test  sudo prompts and passwords over SSH
visudo            sudo                test  checks the sudoers files the SSH tests write
useradd           passwd              test  throw-away users for the SSH tests
userdel           passwd              test  removes them
usermod           passwd              test  sets their passwords
chpasswd          passwd              test  sets their passwords
getent            libc-bin            test  finds users left over by an earlier run
id                coreutils           test  user ids for the SSH tests
cat               coreutils           test  reads a namespace's sysfs in the network tests
git               git                 test  the .gitignore handling of the profile download
python3           python3-minimal     demo  the lab's user-space WAN emulator (lab/wan/wan.py: taps, delay, loss, path MTU); lists the files inside the packed .vsix; the generated gateway scripts talk to OpenVPN's management socket with it; the check's multicast probe; the robot LAN's flood sender (lab/flood.py, demo --flood, in the robot's namespace)
openvpn           openvpn             test  the identities test runs a real OpenVPN server and clients in network namespaces
openssl           openssl             test  the identities test reads the PKI the generated pki.sh makes (and pki.sh runs it)
make-cadir        easy-rsa            test  never run: stands for easy-rsa, whose /usr/share/easy-rsa/easyrsa the generated pki.sh (and the identities test) runs
apt-get           apt                 test  the fault tests download a package for a host's local repository
dpkg-deb          dpkg                test  reads that package's version
dpkg-query        dpkg                test  the tools test asks which package owns each declared program
readlink          coreutils           test  reads a namespace's identity and a bridge port's master
setsid            util-linux          test  the SSH tests' sudo askpass runs without a terminal
unshare           util-linux          test  the unprovision test runs each host in a mount namespace with overlays on /etc, /usr, /var, /run and /root
npm               nodejs              test  builds the extension for the bench and packs the .vsix (comes with Node.js)
npx               nodejs              test  runs vsce to pack the .vsix (comes with Node.js)
chromium          chromium            ui    the setup form's webview test and the browser tests (scripts/install-ui-tools.sh)
EOF

wanted=()
while read -r prog pkg set _why; do
  [ -n "$prog" ] || continue
  case "$SET:$set" in demo:demo | test:demo | test:test | all:demo | all:test) wanted+=("$pkg") ;; esac
done <<<"$TOOLS"

missing=()
for p in $(printf '%s\n' "${wanted[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-prereqs: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "install-prereqs: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep packages from starting their services (a system sshd on port 22): the tests start their own.
  policy_rc_d=''
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_rc_d=/usr/sbin/policy-rc.d
    trap 'rm -f "$policy_rc_d"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The browser tests' real VS Code: code-server on Node 24, and Debian's Chromium.
if [ "$SET" = all ]; then bash scripts/install-ui-tools.sh; fi
