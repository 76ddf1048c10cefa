import { expect, it } from 'vitest';
import { LastWords } from '../../server/store/ferretdb';

it('keeps the last 20 lines of ordinary output', () => {
  const w = new LastWords();
  for (let i = 1; i <= 30; i++) w.push(`line ${i}`);
  expect(w.lines()).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 11}`));
});

it('keeps the head of a Go crash report that a long goroutine dump pushed out of the tail', () => {
  const w = new LastWords();
  w.push('2026-12-04T10:00:00Z ERROR something earlier');
  w.push('panic: runtime error: index out of range [3] with length 3');
  w.push('');
  w.push('goroutine 42 [running]:');
  for (let i = 0; i < 100; i++) w.push(`frame ${i}`);
  const lines = w.lines();
  expect(lines[0]).toBe('panic: runtime error: index out of range [3] with length 3');
  expect(lines).toContain('goroutine 42 [running]:');
  expect(lines).toContain('…');
  expect(lines.at(-1)).toBe('frame 99');
  expect(lines).not.toContain('2026-12-04T10:00:00Z ERROR something earlier');
});

it('reports the last crash when there were several', () => {
  const w = new LastWords();
  w.push('fatal error: concurrent map writes');
  w.push('SIGQUIT: quit');
  w.push('PC=0x4711 m=0 sigcode=0');
  expect(w.lines()).toEqual(['SIGQUIT: quit', 'PC=0x4711 m=0 sigcode=0', '…', 'fatal error: concurrent map writes']);
});
