// `--ssh-cidr auto`: this machine's public address from a check-IP service, replaced here by a loopback
// fake through ROSVPN_CHECKIP_URL (the real https://checkip.amazonaws.com is never contacted). The answer is
// remote data: anything but one public IPv4 address is refused with a message that says what to do.
import { strict as assert } from 'assert';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { CHECKIP_URL, checkIpUrl, publicIpv4 } from '../../src/core/ec2/checkip';

describe('EC2: --ssh-cidr auto (check-IP service on loopback)', () => {
  let server: http.Server;
  let url: string;
  let answer: { status: number; body: string } = { status: 200, body: '198.51.100.23\n' };
  const seen: string[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('reads the address (one line, as checkip.amazonaws.com answers) from ROSVPN_CHECKIP_URL', async () => {
    answer = { status: 200, body: '198.51.100.23\n' };
    assert.equal(checkIpUrl({ ROSVPN_CHECKIP_URL: url }), url);
    assert.equal(await publicIpv4(checkIpUrl({ ROSVPN_CHECKIP_URL: url })), '198.51.100.23');
    assert.ok(seen.length >= 1, 'the loopback fake was asked');
  });

  it("without the variable it is AWS's own service; a non-http variable is refused", () => {
    assert.equal(checkIpUrl({}), CHECKIP_URL);
    assert.equal(CHECKIP_URL, 'https://checkip.amazonaws.com');
    assert.throws(() => checkIpUrl({ ROSVPN_CHECKIP_URL: 'file:///etc/passwd' }), /http\(s\) URL/);
    assert.throws(() => checkIpUrl({ ROSVPN_CHECKIP_URL: 'not a url' }), /is not a URL/);
  });

  for (const [body, why] of [
    ['<html>captive portal</html>', /not an IPv4 address/],
    ['198.51.100.023', /not an IPv4 address/],
    ['198.51.100.23 10.0.0.1', /not an IPv4 address/],
    ['10.1.2.3', /10\.1\.2\.3, which is not a public address/],
    ['127.0.0.1', /not a public address/],
    ['0.0.0.0', /not a public address/],
    ['', /not an IPv4 address/],
  ] as const) {
    it(`refuses the answer ${JSON.stringify(body)}, saying to give the CIDR by hand`, async () => {
      answer = { status: 200, body };
      await assert.rejects(
        publicIpv4(url),
        (e: Error & { key?: string }) => why.test(e.message) && /--ssh-cidr 198\.51\.100\.0\/24/.test(e.message) && e.key === 'sshCidr',
      );
    });
  }

  it('refuses an HTTP error and an unreachable service', async () => {
    answer = { status: 503, body: 'busy' };
    await assert.rejects(publicIpv4(url), /answered HTTP 503/);
    await assert.rejects(publicIpv4('http://127.0.0.1:9/', 2000), /could not ask http:\/\/127\.0\.0\.1:9\//);
  });
});
