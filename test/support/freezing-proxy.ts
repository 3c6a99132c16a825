/**
 * A TCP proxy in front of PostgreSQL that can freeze its open connections: they stay open but nothing
 * passes either way any more, as on a network path that drops packets without resetting anything.
 * Connections opened after a freeze pass normally.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FreezingProxy {
  port: number;
  /** Stops every connection open now from passing anything, in both directions. */
  freezeOpenConnections(): void;
  close(): Promise<void>;
}

export async function startFreezingProxy(target: { host: string; port: number }): Promise<FreezingProxy> {
  const open = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream, frozen: false };
    open.add(pair);
    client.on('data', (chunk) => { if (!pair.frozen) upstream.write(chunk); });
    upstream.on('data', (chunk) => { if (!pair.frozen) client.write(chunk); });
    const end = () => { open.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freezeOpenConnections() {
      for (const pair of open) pair.frozen = true;
    },
    async close() {
      for (const pair of open) { pair.client.destroy(); pair.upstream.destroy(); }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
