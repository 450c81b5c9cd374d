/** HostResolver over the system resolver (every address, in the resolver's order). */
import { lookup } from 'node:dns/promises';
import type { HostResolver, ResolvedAddress } from '../../webhooks/target.js';

export const dnsResolver: HostResolver = {
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    const all = await lookup(hostname, { all: true, verbatim: true });
    return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  },
};
