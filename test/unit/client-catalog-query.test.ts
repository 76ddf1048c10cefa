import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FILTERS,
  activeFilterCount,
  apiQuery,
  catalogSearch,
  pageList,
  parseCatalogQuery,
  totalPages,
  withFilters,
} from '../../client/src/lib/catalog-query';

describe('catalog filters in the URL', () => {
  it('reads every filter from the query and drops unknown values', () => {
    const filters = parseCatalogQuery('?q=%E5%9F%BA%E5%B1%82%E6%B2%BB%E7%90%86&category=service&topic=乡村振兴&required=true&sort=popular&page=3');
    expect(filters).toEqual({ ...DEFAULT_FILTERS, q: '基层治理', category: 'service', topic: '乡村振兴', required: 'true', sort: 'popular', page: 3 });
    expect(parseCatalogQuery('?category=cooking&required=maybe&sort=random&page=-2&kind=tv')).toEqual(DEFAULT_FILTERS);
  });

  it('writes back only what differs from the defaults, in a stable order', () => {
    expect(catalogSearch(DEFAULT_FILTERS)).toBe('');
    const search = catalogSearch({ ...DEFAULT_FILTERS, sort: 'popular', q: '党史', page: 2, lecturer: '王教授' });
    expect(search).toBe('?q=%E5%85%9A%E5%8F%B2&lecturer=%E7%8E%8B%E6%95%99%E6%8E%88&sort=popular&page=2');
    expect(parseCatalogQuery(search)).toEqual({ ...DEFAULT_FILTERS, sort: 'popular', q: '党史', page: 2, lecturer: '王教授' });
  });

  it('goes back to page 1 when a filter changes, but not when the page does', () => {
    const onPage4 = { ...DEFAULT_FILTERS, page: 4 };
    expect(withFilters(onPage4, { category: 'development' }).page).toBe(1);
    expect(withFilters(onPage4, { page: 5 }).page).toBe(5);
  });

  it('sends the API only the filters that are set', () => {
    expect(apiQuery({ ...DEFAULT_FILTERS, required: 'false', institution: '吉林大学' })).toEqual({
      q: undefined,
      category: undefined,
      topic: undefined,
      institution: '吉林大学',
      lecturer: undefined,
      required: 'false',
      kind: undefined,
      sort: 'newest',
      page: 1,
      pageSize: undefined,
    });
  });

  it('counts the narrowing filters', () => {
    expect(activeFilterCount(DEFAULT_FILTERS)).toBe(0);
    expect(activeFilterCount({ ...DEFAULT_FILTERS, q: 'x', sort: 'popular', topic: 'a', required: 'true' })).toBe(2);
  });
});

describe('catalog pager', () => {
  it('counts pages, at least one', () => {
    expect(totalPages(0, 24)).toBe(1);
    expect(totalPages(24, 24)).toBe(1);
    expect(totalPages(25, 24)).toBe(2);
  });

  it('shows the first, last and neighbouring pages with gaps', () => {
    expect(pageList(1, 1)).toEqual([1]);
    expect(pageList(1, 3)).toEqual([1, 2, 3]);
    expect(pageList(5, 20)).toEqual([1, 'gap', 4, 5, 6, 'gap', 20]);
    expect(pageList(1, 20)).toEqual([1, 2, 'gap', 20]);
    // A gap of one page shows the page instead.
    expect(pageList(4, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
