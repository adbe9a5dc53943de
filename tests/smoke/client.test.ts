// The probe's HTTP client on its own: the callback contract the load loops rely on (once, and
// never inside `send`), and how transport failures are named.

import { describe, expect, it } from '@jest/globals';
import { ProbeClient } from '../../shared/smoke/index.js';
import type { TransportError } from '../../shared/smoke/index.js';
import { freePort } from './server.js';

describe('ProbeClient', () => {
  it('calls back after send returns even when undici fails inside dispatch, so chained sends do not recurse', async () => {
    const client = new ProbeClient({ url: 'http://127.0.0.1:9/score' }, { connections: 1, timeoutMs: 1000 });
    await client.close();
    // A closed pool refuses synchronously; 20,000 chained sends would overflow the stack if the
    // callback ran inside send.
    const errors = await new Promise<TransportError[]>((resolve) => {
      const seen: TransportError[] = [];
      const sendNext = (): void => {
        let returned = false;
        client.send(Buffer.from('{}'), (_status, _chunks, error) => {
          expect(returned).toBe(true);
          seen.push(error as TransportError);
          if (seen.length < 20_000) sendNext();
          else resolve(seen);
        });
        returned = true;
      };
      sendNext();
    });
    expect(errors).toHaveLength(20_000);
    expect(errors[0]).toEqual({ kind: 'other', message: 'UND_ERR_DESTROYED: The client is destroyed' });
  });

  it('names a refused connection', async () => {
    const port = await freePort();
    const refused = new ProbeClient({ url: `http://127.0.0.1:${port}/score` }, { connections: 1, timeoutMs: 5000 });
    const error = await new Promise<TransportError | undefined>((resolve) =>
      refused.send(Buffer.from('{}'), (_s, _c, failure) => resolve(failure)),
    );
    await refused.close();
    expect(error).toEqual({ kind: 'refused', message: 'connection refused' });
  });
});
