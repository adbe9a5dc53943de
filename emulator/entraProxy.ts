// The Entra proxy: a plain HTTP proxy (`proxyUrl`) through which clients that only talk to Entra's
// real host reach the emulator's Entra. MSAL Python (in the Azure CLI) validates any other authority
// host with an instance-discovery call to login.microsoftonline.com, which Entra answers
// `invalid_instance` for hosts it does not know, so `az login` to a custom cloud works only with the
// real authority host. With HTTPS_PROXY=proxyUrl (NO_PROXY=127.0.0.1) a CONNECT to
// login.microsoftonline.com:443 is handed to the emulator's HTTPS listener, which presents a
// certificate for that host signed by the emulator's CA; every other CONNECT is refused (403).

import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** The hosts the proxy answers for, as the emulator's Entra. */
export const ENTRA_HOSTS = ['login.microsoftonline.com'];

export interface EntraProxy {
  url: string;
  stop(): Promise<void>;
}

export async function startEntraProxy(target: https.Server, host: string): Promise<EntraProxy> {
  const sockets = new Set<Socket>();
  const proxy = http.createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('The emulator proxy only tunnels (CONNECT) to the hosts it answers for.\n');
  });
  proxy.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const [name = '', port = '443'] = (req.url ?? '').split(':');
    if (!ENTRA_HOSTS.includes(name.toLowerCase()) || port !== '443') {
      socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nThe emulator proxy does not reach ${req.url ?? ''}.\n`,
      );
      return;
    }
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    // The HTTPS listener does the TLS (its SNI callback picks the certificate for this host).
    target.emit('connection', socket);
  });
  proxy.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, host, () => resolve());
  });
  const port = (proxy.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
