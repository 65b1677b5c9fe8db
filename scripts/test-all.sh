#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the prerequisites, then `npm test`
# (typecheck, build, unit + namespace tests). This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prereqs.sh
npm test
