// The stations list's query (registry and monitor): a search waits for typing to pause, a filter
// goes back to page 1, and a search that is already shown never takes the admin back to page 1
// after they paged on (seen in an end-to-end run on a busy machine: the search box cleared, a
// filter chosen, page 2 clicked, then the cleared search's debounce reset the page).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const requests: string[] = [];
vi.mock('../../client/src/lib/api/client.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../client/src/lib/api/client.ts')>();
  return {
    ...real,
    api: {
      get: async (url: string) => {
        requests.push(url);
        const page = Number(new URL(url, 'http://x').searchParams.get('page') ?? 1);
        return { items: [], total: 151, page, pages: 7, pageSize: 25 };
      },
    },
  };
});

const { StationList } = await import('../../client/src/lib/stations/station-list.svelte.ts');

const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => undefined);
const last = () => new URL(requests.at(-1)!, 'http://x').searchParams;

describe('a stations list', () => {
  beforeEach(() => {
    requests.length = 0;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('sends a search once typing pauses, from page 1', async () => {
    const list = new StationList('/api/stations/monitor');
    list.set({ page: 3 });
    list.search('苏公');
    list.search('苏公坨');
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(requests).toHaveLength(2);
    expect(last().get('q')).toBe('苏公坨');
    expect(last().get('page')).toBe('1');
  });

  it('keeps the page an admin went to when a cleared search was already sent with a filter', async () => {
    const list = new StationList('/api/stations/monitor');
    list.search('苏公坨');
    await vi.advanceTimersByTimeAsync(300);
    list.search(''); // the box cleared ...
    list.set({ type: 'village' }); // ... and a filter chosen before the debounce: sent with q = ''
    expect(last().get('q')).toBeNull();
    await settle();
    list.set({ page: 2 });
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(list.query.page).toBe(2);
    expect(last().get('page')).toBe('2');
    expect(requests.filter((r) => r.includes('page=1')).length).toBe(2); // the search and the filter, no third
  });

  it('starts a search typed just before a page click at page 1', async () => {
    const list = new StationList('/api/stations/monitor');
    list.set({ page: 2 });
    list.search('八面乡');
    list.set({ page: 3 });
    expect(last().get('q')).toBe('八面乡');
    expect(last().get('page')).toBe('1');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(requests).toHaveLength(2);
  });
});
