/**
 * What a backlog shard says of itself: the counts, and the size of what it carries across
 * continue-as-new, which Temporal refuses above 2 MB (`prodops insights status` warns near it).
 */
import { describe, expect, it } from 'vitest';
import { runFixture } from '../../domain/insights/fixture';
import { statusOfBacklog, type BacklogState } from '../../../workflows/insights/backlog/state';

describe('a backlog shard’s status', () => {
  it('counts its items and measures the bytes it carries, in UTF-8', () => {
    const { backlog, outcomes } = runFixture(0.8);
    const state: BacklogState = {
      data: backlog.data,
      context: null,
      sweptAt: 0,
      deliveries: ['d-1'],
      log: [],
      sent: [],
    };
    const status = statusOfBacklog(state, backlog, 3);
    expect(status).toMatchObject({ items: backlog.size, unpublished: 3 });
    expect(status.items).toBeLessThan(outcomes.length);
    expect(status.carriedBytes).toBe(Buffer.byteLength(JSON.stringify(state), 'utf8'));

    // Text beyond ASCII counts by its bytes, as the payload limit does.
    const before = status.carriedBytes;
    state.deliveries.push('é€');
    expect(statusOfBacklog(state, backlog, 0).carriedBytes).toBe(before + Buffer.byteLength(',"é€"'));
  });
});
