/** Checks that the fixed local ports are free before anything starts, and says which flag moves one. */
import { createServer } from 'node:net';

const tryListen = (port: number, host: string) =>
  new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });

export interface PortClaim {
  port: number;
  what: string;
  flag: string;
}

/**
 * Throws one error naming every taken port. DynamoDB Local and fauxqs listen on all interfaces,
 * so a port counts as taken if it is in use on 127.0.0.1 or on 0.0.0.0.
 */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  const taken: string[] = [];
  const seen = new Map<number, string>();
  for (const c of claims) {
    if (c.port === 0) continue;
    const dup = seen.get(c.port);
    if (dup) {
      taken.push(`  port ${c.port} is given to both ${dup} and ${c.what}`);
      continue;
    }
    seen.set(c.port, c.what);
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const err = await tryListen(c.port, host);
      if (err?.code === 'EADDRINUSE' || err?.code === 'EACCES') {
        taken.push(
          `  port ${c.port} (${c.what}) is already in use: free it or pick another with ${c.flag} N`,
        );
        break;
      }
    }
  }
  if (taken.length) {
    throw new Error(`Cannot start: \n${taken.join('\n')}\nIs another \`npm start\` still running?`);
  }
}
