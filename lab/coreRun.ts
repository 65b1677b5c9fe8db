// One operation of rosvpn's core API, run in process (not through the CLI) inside the lab's controller
// namespace, where the lab hosts are reachable and nothing else is; lab/clients.ts starts it there with
// `ip netns exec`. The request comes on stdin as JSON, since it holds the CA passphrase, which must never be
// on a command line or in a file; the answer is one JSON line on stdout, the last one.
//   { "op": "revoke", "name": "laptop-2", "topologyFile": …, "knownHosts": …, "passphrase": … }
// revoke does what `rosvpn client revoke NAME --yes` does: the client leaves rosvpn.json, then revokeClient
// runs the gateway's PKI step (revoked, a new CRL published, the client disconnected now).
import * as fs from 'fs';
import { createSshPool } from '../src/core/ssh';
import { loadTopology } from '../src/core/topology/file';
import { type CaPassphraseSource, removeClientFromDocument, revokeClient } from '../src/core/clients';

interface Request {
  op: 'revoke';
  name: string;
  topologyFile: string;
  knownHosts: string;
  passphrase: string;
}

async function main(): Promise<void> {
  const req = JSON.parse(fs.readFileSync(0, 'utf8')) as Request;
  if (req.op !== 'revoke') throw new Error(`unknown op ${String(req.op)}`);
  // The CA passphrase as the lab knows it: known() returns it; nothing is ever asked.
  const caPassphrase: CaPassphraseSource = {
    known: async () => req.passphrase,
    ask: async (need, why) => {
      console.error(`coreRun: the passphrase was not accepted (${need}: ${why})`);
      return undefined;
    },
  };
  const text = removeClientFromDocument(fs.readFileSync(req.topologyFile, 'utf8'), req.name);
  fs.writeFileSync(req.topologyFile, text);
  const loaded = await loadTopology(req.topologyFile);
  const t = loaded.result?.topology;
  if (!t)
    throw new Error(
      `the topology without ${req.name} is not valid: ${JSON.stringify([...loaded.diagnostics, ...(loaded.result?.diagnostics ?? [])])}`,
    );
  const pool = createSshPool({
    knownHostsPath: req.knownHosts,
    sshConfigPath: '/nonexistent/rosvpn-lab-no-ssh-config',
    agentSocket: null,
    callbacks: {
      // Provisioning recorded every host key; an unknown one now is a fault, never trusted.
      confirmUnknownHost: async () => false,
      passphrase: async () => undefined,
      sudoPassword: async () => undefined,
    },
  });
  try {
    const report = await revokeClient(t, pool, req.name, {
      caPassphrase,
      // The gateway's step lines, e.g. `pki changed: revoked client NAME (no longer in rosvpn.json)`.
      onEvent: (e) => {
        if (e.type === 'line' && e.line.kind === 'step')
          console.log(`[${e.host}] ${e.line.name} ${e.line.status}${e.line.msg ? `: ${e.line.msg}` : ''}`);
      },
    });
    const hosts = report.hosts.map(({ label, status, changed, error, code }) => ({ label, status, changed, error, code }));
    console.log(JSON.stringify({ ok: hosts.length > 0 && hosts.every((h) => h.status !== 'failed'), hosts }));
  } finally {
    await pool.dispose();
  }
}

main().catch((e: unknown) => {
  console.log(JSON.stringify({ ok: false, error: (e as Error).message }));
  process.exitCode = 1;
});
