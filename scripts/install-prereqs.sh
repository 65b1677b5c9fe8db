#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian 12 machine (run as root).
# Idempotent: installs only what is missing. CI (.ci/run) and both quick-start commands call it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: shellcheck lints the rendered scripts; iproute2/iputils-ping build and probe the
# network-namespace lab; openvpn, easy-rsa and openssl are the real parts the scripts drive;
# openssh-server, openssh-client and sudo are the real sshd, ssh-keygen/ssh-agent and sudo the SSH
# layer's tests run against (the tests start sshd themselves and create /run/sshd; the service is not
# used), and procps gives them ps/pgrep to prove that remote processes really end. debootstrap and
# systemd-container build and boot the lab's hosts; git backs the .gitignore handling of the profile download.
APT_PACKAGES=(shellcheck iproute2 iputils-ping openvpn easy-rsa openssl openssh-server openssh-client sudo procps debootstrap systemd-container git)

missing=()
for p in "${APT_PACKAGES[@]}"; do
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

# The browser tests' real VS Code: code-server on Node 24, and Debian's Chromium (scripts/install-ui-tools.sh).
bash scripts/install-ui-tools.sh
