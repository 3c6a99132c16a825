/** An express app (or any request listener) on a free local port, for tests of one piece of the HTTP edge. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  base: string;
  close(): void;
}

export async function listenLocally(app: http.RequestListener): Promise<LocalServer> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
