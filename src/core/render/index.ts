// Rendering: a validated topology in, one self-contained provisioning script per host out.
import type { Diagnostic, ValidTopology } from '../topology/types';
import { renderGateway, renderSecond } from './cloud';
import { renderClient } from './client';
import { renderDesktop } from './desktop';
import { v, withSnapshot } from './bash';
import type { RenderedScript } from './script';

export type { RenderedScript } from './script';

export interface RenderResult {
  scripts: RenderedScript[];
  diagnostics: Diagnostic[];
}

export function renderTopology(t: ValidTopology): RenderResult {
  const diagnostics: Diagnostic[] = [];
  if (!t.gateway.publicAddress) {
    diagnostics.push({
      severity: 'error',
      path: 'gateway.publicAddress',
      message: 'not set, but the client profile needs the address the desktop connects to',
      fix: "set it to the gateway's Elastic IP or DNS name ('rosvpn cloud up' fills it in)",
    });
    return { scripts: [], diagnostics };
  }
  const scripts: RenderedScript[] = [];
  const gw = renderGateway(t);
  scripts.push({ role: 'gateway', hostName: 'gateway', fileName: 'gateway.sh', ...gw });
  for (const s of t.seconds) {
    scripts.push({ role: 'second', hostName: s.name, fileName: `${v(s.name)}.sh`, ...renderSecond(t, s) });
  }
  const desktop = renderDesktop(t);
  if (desktop) scripts.push({ role: 'desktop', hostName: 'desktop', fileName: 'desktop.sh', ...desktop });
  for (const c of t.clients) if (c.host) scripts.push(renderClient(t, c));
  for (const s of scripts) s.content = `${withSnapshot(s.content).trimEnd()}\n`;
  return { scripts, diagnostics };
}

export { TUNNEL_OVERHEAD, bridgeMac } from './network';
export { renderClient, renderClientConf } from './client';
export { renderClientStatus, renderGatewayPki } from './pki';
export { renderUnprovision, UNPROVISION_GUARD_SECONDS } from './unprovision';
