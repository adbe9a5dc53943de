// The shared memory budget of the upload engine: it must hold back transfers beyond the limit,
// hand memory out in order, reuse block buffers and let an abort free a waiting transfer.

import { describe, expect, it } from '@jest/globals';
import { BufferBudget, blockIdOf } from '../../shared/upload/transfer.js';

describe('BufferBudget', () => {
  it('makes a taker wait until enough bytes are given back, in arrival order', async () => {
    const budget = new BufferBudget(100, 40);
    const first = await budget.take(40);
    const second = await budget.take(40);
    const order: string[] = [];
    const third = budget.take(40).then((buffer) => (order.push('third'), buffer));
    const small = budget.take(10).then((buffer) => (order.push('small'), buffer));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    budget.give(first);
    expect((await third).length).toBe(40);
    expect((await small).length).toBe(10);
    expect(order).toEqual(['third', 'small']);
    budget.give(second);
  });

  it('reuses block-sized buffers instead of allocating new ones', async () => {
    const budget = new BufferBudget(80, 40);
    const block = await budget.take(40);
    budget.give(block);
    expect(await budget.take(40)).toBe(block);
  });

  it('rejects a waiting taker when its signal aborts, and keeps the budget intact', async () => {
    const budget = new BufferBudget(40, 40);
    const held = await budget.take(40);
    const controller = new AbortController();
    const waiting = budget.take(40, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    budget.give(held);
    expect((await budget.take(40)).length).toBe(40);
  });
});

describe('blockIdOf', () => {
  it('gives ids of one length for every index, within the 64-byte limit, unique per file and block size', () => {
    const sha = 'ab'.repeat(32);
    const ids = [0, 9, 123456].map((index) => blockIdOf(sha, 8 * 1024 * 1024, index));
    expect(new Set(ids.map((id) => id.length)).size).toBe(1);
    expect(Buffer.from(ids[0]!, 'base64').length).toBeLessThanOrEqual(64);
    expect(new Set(ids).size).toBe(3);
    expect(blockIdOf(sha, 4 * 1024 * 1024, 0)).not.toBe(ids[0]);
    expect(blockIdOf('cd'.repeat(32), 8 * 1024 * 1024, 0)).not.toBe(ids[0]);
  });
});
