// removeSecondFromDocument: a second cut out of rosvpn.json as text, the rest byte for byte as written.
import { strict as assert } from 'assert';
import { serializeTopology } from '../../src/core/topology/file';
import { removeSecondFromDocument } from '../../src/core/topology/document';

/* eslint-disable @typescript-eslint/no-explicit-any */
const second = (i: number) => ({
  name: `s${i}`,
  host: `172.31.1.${20 + i}`,
  jump: 'gateway',
  cloudIp: `172.31.1.${20 + i}`,
  vpnIp: `192.168.0.${140 + i}/24`,
});
function doc(n: number): any {
  return {
    name: 'demo',
    robotSubnet: '192.168.0.0/24',
    gateway: { host: 'gw', publicAddress: '44.232.53.80', cloudIp: '172.31.1.11', vpnIp: '192.168.0.130/24' },
    seconds: Array.from({ length: n }, (_, i) => second(i + 1)),
    desktop: { host: 'localhost', lanInterface: 'eno1' },
  };
}

describe('removeSecondFromDocument', () => {
  it('removes the first, a middle and the last second: the same text as rosvpn writing the file without it', () => {
    const text = serializeTopology(doc(3));
    for (const gone of ['s1', 's2', 's3']) {
      const want = doc(3);
      want.seconds = want.seconds.filter((s: { name: string }) => s.name !== gone);
      assert.equal(removeSecondFromDocument(text, gone), serializeTopology(want), gone);
    }
    const one = serializeTopology(doc(1));
    assert.equal(removeSecondFromDocument(one, 's1'), serializeTopology({ ...doc(1), seconds: [] }));
  });

  it('keeps everything else byte for byte: tab indentation, CRLF, a BOM, notes and key order', () => {
    const base = { 'x-note': 'kept', ...doc(2) };
    const text = '\ufeff' + JSON.stringify(base, null, '\t').replace(/\n/g, '\r\n') + '\r\n';
    const out = removeSecondFromDocument(text, 's2');
    const want = '\ufeff' + JSON.stringify({ ...base, seconds: [second(1)] }, null, '\t').replace(/\n/g, '\r\n') + '\r\n';
    assert.equal(out, want);
  });

  it('refuses an unknown name (listing the seconds) and a file with errors; the text is never half-edited', () => {
    const text = serializeTopology(doc(2));
    assert.throws(() => removeSecondFromDocument(text, 'nope'), /no second instance named nope in rosvpn\.json; seconds: s1, s2/);
    const broken = text.replace('"192.168.0.0/24"', '"192.168.0.0/99"');
    assert.throws(() => removeSecondFromDocument(broken, 's1'), /rosvpn\.json has errors; fix them first/);
  });
});
