/**
 * 大字模式 (large text, for older cadres — 适老化): a per-browser preference kept in localStorage
 * under `large-text` ('1' on, anything else off) and mirrored as the `large-text` class on <html>.
 * app.css scales the root font size (everything is in rem), line height and tap targets under that
 * class. Applied when this module loads (before the app mounts), so a reload does not flash.
 */
export const LARGE_TEXT_STORAGE_KEY = 'large-text';
export const LARGE_TEXT_CLASS = 'large-text';

export interface PreferenceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Reads the stored preference; off when unset, unreadable or storage is disabled. */
export function readLargeText(storage: PreferenceStorage | undefined): boolean {
  try {
    return storage?.getItem(LARGE_TEXT_STORAGE_KEY) === '1';
  } catch {
    return false;
  }
}

/** Stores the preference; false if it could not be kept (the choice still holds for this page). */
export function writeLargeText(storage: PreferenceStorage | undefined, on: boolean): boolean {
  try {
    if (!storage) return false;
    storage.setItem(LARGE_TEXT_STORAGE_KEY, on ? '1' : '0');
    return true;
  } catch {
    return false;
  }
}

function storage(): PreferenceStorage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/** Where the class goes: <html>, or a stand-in in tests. */
export interface ClassTarget {
  classList: { toggle(name: string, force?: boolean): boolean };
}

export class LargeText {
  on = $state(false);
  readonly #root: ClassTarget | undefined;
  readonly #storage: PreferenceStorage | undefined;

  constructor(root: ClassTarget | undefined = globalThis.document?.documentElement, store: PreferenceStorage | undefined = storage()) {
    this.#root = root;
    this.#storage = store;
    this.on = readLargeText(store);
    this.#apply();
  }

  set(on: boolean): void {
    this.on = on;
    writeLargeText(this.#storage, on);
    this.#apply();
  }

  toggle(): void {
    this.set(!this.on);
  }

  #apply(): void {
    this.#root?.classList.toggle(LARGE_TEXT_CLASS, this.on);
  }
}

export const largeText = new LargeText();
