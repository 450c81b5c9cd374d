import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../../../shared/webhooks/address-policy.js';
import {
  checkTarget,
  checkUrlForm,
  type HostResolver,
  type ResolvedAddress,
  WebhookTargetError,
} from '../../../shared/webhooks/target.js';

const table = (entries: Record<string, string[]>): HostResolver => ({
  async resolve(host) {
    const found = entries[host];
    if (!found) throw new Error(`ENOTFOUND ${host}`);
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  },
});

const refusedFor = async (url: string, resolver: HostResolver = table({}), local = false) => {
  try {
    await checkTarget(url, resolver, { allowLocalHttp: local });
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookTargetError);
    expect((err as WebhookTargetError).code).toBe('INVALID_WEBHOOK_URL');
    return (err as WebhookTargetError).reason;
  }
  return undefined;
};

describe('webhook address classes', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:c0a8:101::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(classifyAddress(address)).toBeUndefined();
    },
  );
});

describe('checking a webhook URL', () => {
  const publicHost = table({ 'hooks.example.com': ['93.184.215.14'] });

  it('accepts an https URL whose host resolves to public addresses, and pins the first', async () => {
    const t = await checkTarget('https://hooks.example.com/in?x=1', publicHost);
    expect(t.url.href).toBe('https://hooks.example.com/in?x=1');
    expect(t.address).toEqual<ResolvedAddress>({ address: '93.184.215.14', family: 4 });
  });

  it('refuses http, other schemes, credentials and non-URLs when deployed', async () => {
    expect(await refusedFor('http://hooks.example.com/', publicHost)).toBe('scheme');
    expect(await refusedFor('ftp://hooks.example.com/', publicHost)).toBe('scheme');
    expect(await refusedFor('file:///etc/passwd', publicHost)).toBe('scheme');
    expect(await refusedFor('https://u:p@hooks.example.com/', publicHost)).toBe('credentials');
    expect(await refusedFor('hooks.example.com/in', publicHost)).toBe('syntax');
    expect(await refusedFor(`https://hooks.example.com/${'a'.repeat(2100)}`, publicHost)).toBe(
      'syntax',
    );
  });

  it('refuses IP literals of every non-public class, however they are written', async () => {
    expect(await refusedFor('https://127.0.0.1/')).toBe('loopback');
    expect(await refusedFor('https://[::1]/')).toBe('loopback');
    expect(await refusedFor('https://169.254.169.254/latest/meta-data/')).toBe('metadata');
    expect(await refusedFor('https://[fd00:ec2::254]/')).toBe('metadata');
    expect(await refusedFor('https://10.1.2.3:8443/')).toBe('private');
    expect(await refusedFor('https://[::ffff:127.0.0.1]/')).toBe('loopback');
    // WHATWG URL parsing normalises decimal, octal and hex forms to dotted quads.
    expect(await refusedFor('https://2130706433/')).toBe('loopback');
    expect(await refusedFor('https://0177.0.0.1/')).toBe('loopback');
    expect(await refusedFor('https://0x7f.1/')).toBe('loopback');
    expect(await refusedFor('https://0/')).toBe('unspecified');
  });

  it('refuses a name that resolves to a non-public address (localhost, internal names)', async () => {
    const dns = table({
      localhost: ['127.0.0.1', '::1'],
      'db.internal': ['10.0.3.7'],
      'meta.example.com': ['169.254.169.254'],
    });
    expect(await refusedFor('https://localhost/', dns)).toBe('loopback');
    expect(await refusedFor('https://db.internal/', dns)).toBe('private');
    expect(await refusedFor('https://meta.example.com/', dns)).toBe('metadata');
  });

  it('refuses a name if ANY of its addresses is non-public (a rebinding setup)', async () => {
    const dns = table({ 'rebind.example.com': ['93.184.215.14', '127.0.0.1'] });
    expect(await refusedFor('https://rebind.example.com/', dns)).toBe('loopback');
  });

  it('refuses a name that does not resolve', async () => {
    expect(await refusedFor('https://nowhere.invalid/', table({}))).toBe('unresolvable');
  });

  it('locally accepts http and loopback receivers, still refusing other private addresses', async () => {
    const dns = table({ localhost: ['127.0.0.1'], 'db.internal': ['10.0.3.7'] });
    const t = await checkTarget('http://127.0.0.1:9999/hook', dns, { allowLocalHttp: true });
    expect(t.address.address).toBe('127.0.0.1');
    expect(await refusedFor('http://localhost:9999/', dns, true)).toBeUndefined();
    expect(await refusedFor('http://db.internal/', dns, true)).toBe('private');
    expect(await refusedFor('http://169.254.169.254/', dns, true)).toBe('metadata');
  });

  it('checks the form alone without resolving', () => {
    expect(checkUrlForm('https://a.example/').hostname).toBe('a.example');
    expect(() => checkUrlForm('http://a.example/')).toThrow(WebhookTargetError);
  });
});
