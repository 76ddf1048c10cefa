import { describe, expect, it } from 'vitest';
import { LargeText, LARGE_TEXT_STORAGE_KEY, readLargeText, writeLargeText, type PreferenceStorage } from '../../client/src/lib/components/layout/large-text.svelte';
import { bottomNav, isCurrent, primaryNav, rolesFor } from '../../client/src/lib/components/layout/nav-items';
import { zhCN } from '../../client/src/lib/i18n/zh-CN';

class MemoryStorage implements PreferenceStorage {
  readonly values = new Map<string, string>();
  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.values.set(key, value);
  }
}

const broken: PreferenceStorage = {
  getItem: () => {
    throw new Error('SecurityError');
  },
  setItem: () => {
    throw new Error('QuotaExceededError');
  },
};

function fakeRoot() {
  const classes = new Set<string>();
  return {
    classes,
    classList: {
      toggle(name: string, force?: boolean) {
        const on = force ?? !classes.has(name);
        if (on) classes.add(name);
        else classes.delete(name);
        return on;
      },
    },
  };
}

describe('large-text preference (大字模式)', () => {
  it('is off unless stored as on, and off when storage is unreadable', () => {
    const storage = new MemoryStorage();
    expect(readLargeText(storage)).toBe(false);
    storage.setItem(LARGE_TEXT_STORAGE_KEY, '1');
    expect(readLargeText(storage)).toBe(true);
    storage.setItem(LARGE_TEXT_STORAGE_KEY, 'yes');
    expect(readLargeText(storage)).toBe(false);
    expect(readLargeText(broken)).toBe(false);
    expect(readLargeText(undefined)).toBe(false);
  });

  it('reports whether the choice could be kept', () => {
    const storage = new MemoryStorage();
    expect(writeLargeText(storage, true)).toBe(true);
    expect(storage.getItem(LARGE_TEXT_STORAGE_KEY)).toBe('1');
    expect(writeLargeText(storage, false)).toBe(true);
    expect(storage.getItem(LARGE_TEXT_STORAGE_KEY)).toBe('0');
    expect(writeLargeText(broken, true)).toBe(false);
  });

  it('applies the stored choice to <html> at start and keeps a toggle across a reload', () => {
    const storage = new MemoryStorage();
    const root = fakeRoot();
    const first = new LargeText(root, storage);
    expect(first.on).toBe(false);
    expect(root.classes.has('large-text')).toBe(false);
    first.toggle();
    expect(root.classes.has('large-text')).toBe(true);

    const reloadedRoot = fakeRoot();
    const reloaded = new LargeText(reloadedRoot, storage);
    expect(reloaded.on).toBe(true);
    expect(reloadedRoot.classes.has('large-text')).toBe(true);
    reloaded.set(false);
    expect(reloadedRoot.classes.has('large-text')).toBe(false);
  });

  it('still switches for the page when storage refuses', () => {
    const root = fakeRoot();
    const large = new LargeText(root, broken);
    large.toggle();
    expect(large.on).toBe(true);
    expect(root.classes.has('large-text')).toBe(true);
  });
});

describe('navigation by role', () => {
  it('gives a cadre the five bottom-bar pages: home, plan, study, timetable, check-in', () => {
    expect(bottomNav('cadre').map((i) => i.href)).toEqual(['/', '/plan', '/study', '/timetable', '/checkin']);
  });

  it('leaves out of every bar the pages a role may not open', () => {
    for (const role of ['lecturer', 'unitAdmin', 'orgAdmin'] as const) {
      expect(bottomNav(role).map((i) => i.route)).toEqual(['home', 'timetable', 'checkin']);
    }
    expect(primaryNav('cadre').map((i) => i.route)).toEqual(['home', 'plan', 'training', 'study', 'timetable']);
    expect(primaryNav('lecturer').map((i) => i.route)).toEqual(['home', 'timetable', 'studio']);
    expect(primaryNav('orgAdmin').map((i) => i.route)).toEqual(['home', 'unitReport', 'timetable', 'stations', 'admin', 'studio']);
  });

  it('marks the console link current on every admin page', () => {
    const admin = primaryNav('orgAdmin').find((i) => i.route === 'admin')!;
    expect(isCurrent(admin, 'adminUsers')).toBe(true);
    expect(isCurrent(admin, 'admin')).toBe(true);
    expect(isCurrent(admin, 'home')).toBe(false);
    expect(isCurrent(admin, undefined)).toBe(false);
  });

  it('names who may open a page for the 无权限 page', () => {
    expect(rolesFor('unitReport')).toEqual(['unitAdmin', 'orgAdmin']);
    expect(rolesFor('home')).toBeUndefined();
  });

  it('labels every link with a message that exists', () => {
    for (const role of ['cadre', 'lecturer', 'unitAdmin', 'orgAdmin', 'station'] as const) {
      for (const item of [...primaryNav(role), ...bottomNav(role)]) expect(zhCN[item.label]).toBeTruthy();
    }
  });
});
