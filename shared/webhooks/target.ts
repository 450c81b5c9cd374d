/**
 * Where a webhook may go. A URL is checked twice: at submit (a bad URL is a 400 then) and again at
 * every delivery attempt, where the host is resolved, every address it resolves to must be public
 * (see address-policy.ts), and the connection is made to the checked address only (the transport
 * pins it), so a DNS answer that changes between the check and the connect cannot redirect it.
 */
import { isIP } from 'node:net';
import { InvalidRequestError } from '../domain/errors.js';
import { type AddressClass, refusal } from './address-policy.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface TargetPolicy {
  /** Allow `http:` URLs and loopback receivers (the local runtime). @default false */
  allowLocalHttp?: boolean;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name resolution (DNS in production; a table in tests). Throws when the name does not resolve. */
export interface HostResolver {
  resolve(hostname: string): Promise<ResolvedAddress[]>;
}

export interface CheckedTarget {
  url: URL;
  /** The address the connection must go to. */
  address: ResolvedAddress;
}

export class WebhookTargetError extends InvalidRequestError {
  constructor(
    message: string,
    readonly reason: AddressClass | 'scheme' | 'credentials' | 'syntax' | 'unresolvable',
  ) {
    super(
      message,
      { reason, issues: [{ path: ['body', 'webhook', 'url'], message }] },
      'INVALID_WEBHOOK_URL',
    );
  }
}

/** The URL, parsed, if its form is acceptable (no resolution). */
export function checkUrlForm(raw: string, policy: TargetPolicy = {}): URL {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH)
    throw new WebhookTargetError(
      `The webhook URL is longer than ${MAX_WEBHOOK_URL_LENGTH}.`,
      'syntax',
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetError('The webhook URL is not an absolute URL.', 'syntax');
  }
  const schemes = policy.allowLocalHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol))
    throw new WebhookTargetError(
      policy.allowLocalHttp
        ? 'The webhook URL must be http or https.'
        : 'The webhook URL must be https.',
      'scheme',
    );
  if (url.username || url.password)
    throw new WebhookTargetError(
      'The webhook URL must not carry a user or password.',
      'credentials',
    );
  if (!url.hostname) throw new WebhookTargetError('The webhook URL has no host.', 'syntax');
  return url;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** Resolve the URL's host and pick the address to connect to; refuse any non-public answer. */
export async function checkTarget(
  raw: string,
  resolver: HostResolver,
  policy: TargetPolicy = {},
): Promise<CheckedTarget> {
  const url = checkUrlForm(raw, policy);
  const host = hostOf(url);
  const family = isIP(host);
  let addresses: ResolvedAddress[];
  if (family === 4 || family === 6) addresses = [{ address: host, family }];
  else {
    try {
      addresses = await resolver.resolve(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0)
      throw new WebhookTargetError(`The webhook host ${host} does not resolve.`, 'unresolvable');
  }
  const allowLoopback = policy.allowLocalHttp === true;
  for (const a of addresses) {
    const why = refusal(a.address, { allowLoopback });
    if (why)
      throw new WebhookTargetError(
        `The webhook host ${host} resolves to a ${why} address (${a.address}); webhooks go to public addresses only.`,
        why,
      );
  }
  return { url, address: addresses[0] as ResolvedAddress };
}
