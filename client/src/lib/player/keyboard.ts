/**
 * Player keyboard shortcuts, as most video sites have them: space or K play/pause, ← → seek
 * 10 s, ↑ ↓ volume 10 %, F fullscreen, M mute, ? this list, Esc closes it. Keys that belong to
 * the focused element (typing in a field, Space on a button) or come with Ctrl/Alt/⌘ are left
 * alone.
 */
export const SEEK_STEP_SEC = 10;
export const VOLUME_STEP = 0.1;

export type PlayerAction =
  | { type: 'toggle-play' }
  | { type: 'seek'; delta: number }
  | { type: 'volume'; delta: number }
  | { type: 'fullscreen' }
  | { type: 'mute' }
  | { type: 'help' }
  | { type: 'close' };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

export interface TargetLike {
  tagName?: string;
  isContentEditable?: boolean;
  type?: string;
}

/**
 * Whether `key` pressed in `target` belongs to that element rather than to the player: text
 * fields and menus take every key, a range input its arrows, a button or link Space and Enter
 * (so Space on the focused play button does not toggle twice).
 */
export function targetOwnsKey(target: TargetLike | null | undefined, key: string): boolean {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = (target.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY') return key === ' ' || key === 'Enter';
  if (tag !== 'INPUT') return false;
  const type = (target.type ?? 'text').toLowerCase();
  if (type === 'range') return key.startsWith('Arrow') || key === 'Home' || key === 'End' || key === 'PageUp' || key === 'PageDown';
  if (['button', 'checkbox', 'radio', 'submit', 'reset'].includes(type)) return key === ' ' || key === 'Enter';
  return true;
}

export function actionForKey(event: KeyLike): PlayerAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  switch (event.key) {
    case ' ':
    case 'Spacebar':
    case 'k':
    case 'K':
      return { type: 'toggle-play' };
    case 'ArrowLeft':
      return { type: 'seek', delta: -SEEK_STEP_SEC };
    case 'ArrowRight':
      return { type: 'seek', delta: SEEK_STEP_SEC };
    case 'ArrowUp':
      return { type: 'volume', delta: VOLUME_STEP };
    case 'ArrowDown':
      return { type: 'volume', delta: -VOLUME_STEP };
    case 'f':
    case 'F':
      return { type: 'fullscreen' };
    case 'm':
    case 'M':
      return { type: 'mute' };
    case '?':
      return { type: 'help' };
    case 'Escape':
      return { type: 'close' };
    default:
      return null;
  }
}

/** Volume after a step, kept in 0…1 and rounded so repeated steps do not drift (0.30000000000000004). */
export function stepVolume(volume: number, delta: number): number {
  return Math.min(1, Math.max(0, Math.round((volume + delta) * 100) / 100));
}

/** A seek target kept inside the video (and off its very last frame, which would end it). */
export function seekTarget(current: number, delta: number, duration: number): number {
  const end = Number.isFinite(duration) && duration > 0 ? Math.max(0, duration - 0.1) : Number.POSITIVE_INFINITY;
  return Math.min(end, Math.max(0, current + delta));
}

/** Rows of the "?" help: key caps and the i18n key of what they do. */
export const SHORTCUTS = [
  { keys: ['Space', 'K'], action: 'player.key.play' },
  { keys: ['←', '→'], action: 'player.key.seek' },
  { keys: ['↑', '↓'], action: 'player.key.volume' },
  { keys: ['F'], action: 'player.key.fullscreen' },
  { keys: ['M'], action: 'player.key.mute' },
  { keys: ['?'], action: 'player.key.help' },
] as const;

export const PLAYBACK_RATES = [0.75, 1, 1.25, 1.5, 1.75, 2] as const;
