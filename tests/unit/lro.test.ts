// waitForOperation: polls quickly at first (operations that end in a second do not cost the 5 s
// interval), reports the service's error when the operation fails, and names what did not finish
// at the timeout. The poller is a stand-in with core-lro's poll / isDone / pollUntilDone.

import { describe, expect, it } from '@jest/globals';
import { waitForOperation, type PollerLike } from '../../shared/azure/lro.js';
import { MemoryLogger } from '../../shared/logger.js';

function poller(pollsUntilDone: number, outcome: 'succeed' | 'fail'): PollerLike<string> & { polls: number[] } {
  const started = Date.now();
  const polls: number[] = [];
  let done = false;
  return {
    polls,
    isDone: () => done,
    async poll() {
      polls.push(Date.now() - started);
      if (polls.length >= pollsUntilDone) {
        done = true;
        if (outcome === 'fail') throw new Error('Deployment failed: ResourceNotReady');
      }
      return Promise.resolve();
    },
    pollUntilDone() {
      return outcome === 'succeed'
        ? Promise.resolve('result')
        : Promise.reject(new Error('Deployment failed: ResourceNotReady'));
    },
  };
}

describe('waitForOperation', () => {
  it('polls at once, then after 0.5 s, 1 s, 2 s... and answers the result', async () => {
    const p = poller(3, 'succeed');
    const result = await waitForOperation(() => Promise.resolve(p), {
      log: new MemoryLogger(),
      what: 'Op',
      timeoutMs: 10_000,
    });
    expect(result).toBe('result');
    expect(p.polls).toHaveLength(3);
    // An operation already done at begin*'s own poll would cost no wait; then the backoff.
    expect(p.polls[1]).toBeGreaterThanOrEqual(450);
    expect(p.polls[2]).toBeGreaterThanOrEqual(1400);
  });

  it("fails with the service's error", async () => {
    await expect(
      waitForOperation(() => Promise.resolve(poller(1, 'fail')), {
        log: new MemoryLogger(),
        what: 'Creating x',
        timeoutMs: 10_000,
      }),
    ).rejects.toThrow(/Creating x failed after .*: Deployment failed: ResourceNotReady/);
  });

  it('names what did not finish when the timeout comes first', async () => {
    await expect(
      waitForOperation(() => Promise.resolve(poller(100, 'succeed')), {
        log: new MemoryLogger(),
        what: 'Creating y',
        timeoutMs: 700,
      }),
    ).rejects.toThrow("Creating y did not finish within 700ms; raise 'timeout' or check the resource in Azure.");
  });
});
