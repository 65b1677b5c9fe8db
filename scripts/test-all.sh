#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the prerequisites, then `npm test` (typecheck, build,
# test/unit, then test/integration as root: sshd, namespaces, Chromium, the lab), the browser tests in
# code-server (`npm run test:ui`), and the in-host suite inside code-server's extension host
# (`npm run test:vscode:code-server`, last: it leaves dist/ as the unminified dev build it inspects).
# This is the README's test command and CI's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prereqs.sh all
npm test
npm run test:ui
npm run test:vscode:code-server
