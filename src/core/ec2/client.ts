// The EC2 client and the waits of `cloud up`/`down`. Credentials and region come from the standard AWS
// chain (environment, shared config and credentials files, SSO, instance roles); a profile, SSO profiles
// included, can be named. The SDK is loaded only here, on first use.
import * as net from 'node:net';
import { EC2Client, waitUntilInstanceRunning, waitUntilInstanceTerminated } from '@aws-sdk/client-ec2';

export function createEc2Client(o: { region: string; profile?: string }): EC2Client {
  return new EC2Client({ region: o.region, ...(o.profile ? { profile: o.profile } : {}) });
}

export async function waitRunning(client: EC2Client, ids: string[]): Promise<void> {
  await waitUntilInstanceRunning({ client, maxWaitTime: 600, minDelay: 5 }, { InstanceIds: ids });
}

export async function waitTerminated(client: EC2Client, ids: string[]): Promise<void> {
  await waitUntilInstanceTerminated({ client, maxWaitTime: 900, minDelay: 5 }, { InstanceIds: ids });
}

/** Until TCP port 22 accepts a connection and sends an SSH banner, or `timeoutMs` passes. */
export async function waitSsh(address: string, timeoutMs = 300_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: address, port: 22, timeout: 5000 });
      s.once('data', (d) => (s.destroy(), resolve(d.toString('latin1').startsWith('SSH-'))));
      s.once('timeout', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end)
      throw new Error(
        `SSH did not answer on ${address}:22 within ${Math.round(timeoutMs / 1000)} s: check the security group's SSH rule (ssh CIDR) and the instance's console`,
      );
    await new Promise((r) => setTimeout(r, 5000));
  }
}
