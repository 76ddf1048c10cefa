import { describe, expect, it } from 'vitest';
import { LiveSession, MAX_CHAT } from '../../server/modules/live/live-session';

function room() {
  const s = new LiveSession();
  s.join({ peerId: 'h', userId: 'U-host', name: '刘教授', role: 'host' });
  s.join({ peerId: 'a', userId: 'U-a', name: '张伟', role: 'viewer' });
  s.join({ peerId: 'b', userId: 'U-b', name: '赵丽', role: 'viewer' });
  return s;
}

describe('live session rules', () => {
  it('lets only the host promote, answer and remove', () => {
    const s = room();
    expect(() => s.setStage('a', 'b', true)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    const q = s.ask('b', '如何发展集体经济？', 1);
    expect(() => s.answer('a', q.id)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => s.remove('a', 'b')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => s.remove('h', 'h')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(s.answer('h', q.id).answered).toBe(true);
  });

  it('publishes only for the host and viewers on stage, and keeps the stage across a rejoin', () => {
    const s = room();
    expect(s.mayProduce('h')).toBe(true);
    expect(s.mayProduce('a')).toBe(false);
    s.raiseHand('a', true);
    expect(s.setStage('h', 'a', true)).toMatchObject({ onStage: true, handRaised: false });
    expect(s.mayProduce('a')).toBe(true);
    // The page reloads: a new peer id for the same user.
    s.leave('a');
    expect(s.join({ peerId: 'a2', userId: 'U-a', name: '张伟', role: 'viewer' }).onStage).toBe(true);
    s.setStage('h', 'a2', false);
    expect(s.mayProduce('a2')).toBe(false);
  });

  it('counts one upvote per user and orders open questions by votes, then age', () => {
    const s = room();
    const q1 = s.ask('a', '第一个问题', 1);
    const q2 = s.ask('b', '第二个问题', 2);
    s.upvote('a', q2.id);
    s.upvote('a', q2.id);
    s.upvote('b', q2.id);
    expect(s.questionList().map((q) => [q.id, q.votes])).toEqual([
      [q2.id, 2],
      [q1.id, 0],
    ]);
    s.answer('h', q2.id);
    expect(s.questionList()[1]).toMatchObject({ id: q2.id, answered: true });
  });

  it('keeps a removed user out of the session', () => {
    const s = room();
    s.remove('h', 'b');
    expect(s.peers.has('b')).toBe(false);
    expect(() => s.join({ peerId: 'b2', userId: 'U-b', name: '赵丽', role: 'viewer' })).toThrow(expect.objectContaining({ code: 'REMOVED' }));
  });

  it('cleans chat text, refuses empty messages and keeps the newest messages', () => {
    const s = room();
    expect(s.say('a', '  你好\u0007老师 ', 1).text).toBe('你好 老师');
    expect(() => s.say('a', '   ', 2)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }));
    for (let i = 0; i < MAX_CHAT + 5; i++) s.say('b', `消息${i}`, i);
    expect(s.chat).toHaveLength(MAX_CHAT);
    expect(s.chat.at(-1)!.text).toBe(`消息${MAX_CHAT + 4}`);
  });
});
