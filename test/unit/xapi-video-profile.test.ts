/**
 * The video profile's statements as pure functions (server/modules/xapi/video-profile.ts), and
 * the independent checker (test/helpers/xapi-profile-check.ts) catching what issue 16 found in
 * the statements written before: length in result, no time, no threshold, a URN homePage.
 */
import { describe, expect, it } from 'vitest';
import { buildStatements, initialState, nameUuid, runsOf, type Piece } from '../../server/modules/xapi/video-profile';
import { checkStatement, checkStatements, verbsOf } from '../helpers/xapi-profile-check';

const facts = { key: 'pb1|u1', actor: { homePage: 'https://study.example.org', name: 'u1' }, activity: { id: 'https://study.example.org/xapi/activities/lecture/l1', name: '课', kind: 'recorded' }, lengthSec: 100, threshold: 0.9 };
const T = Date.UTC(2026, 0, 5, 1);
/** Pieces of 10 s media each earned by 10 s of server time, from media `a` at server second `s`. */
const play = (a: number, b: number, s: number, rate = 1): Piece[] => {
  const out: Piece[] = [];
  for (let x = a, w = s; x < b; x += 10 * rate, w += 10) out.push({ w0: T + w * 1000, w1: T + (w + 10) * 1000, iv: [[x, Math.min(b, x + 10 * rate)]] });
  return out;
};

describe('video profile statements', () => {
  it('joins continuous pieces into runs and splits at a seek or a long pause', () => {
    expect(runsOf([...play(0, 30, 0), ...play(50, 70, 30)]).map((r) => [r.a, r.b])).toEqual([[0, 30], [50, 70]]);
    expect(runsOf([...play(0, 30, 0), ...play(30, 40, 100)])).toHaveLength(2);
  });

  it('states a seek, a speed change and completion once at the threshold', () => {
    const pieces = [...play(0, 40, 0), ...play(50, 95, 45, 2)];
    const { statements, state } = buildStatements(facts, initialState([], 0.9, 100), pieces, { terminate: true, nowMs: T + 100_000 });
    expect(verbsOf(statements)).toEqual(['initialized', 'played', 'paused', 'interacted', 'seeked', 'played', 'paused', 'terminated']);
    expect(checkStatements(statements as never)).toEqual([]);
    expect(state.part).toBe(2);
    // Coverage before (earlier sessions) brings it over the threshold: completed, then not again.
    const again = buildStatements(facts, initialState([[40, 50], [95, 100]], 0.9, 100), pieces, { terminate: false, nowMs: T });
    expect(verbsOf(again.statements)).toContain('completed');
    const more = buildStatements(facts, again.state, play(0, 10, 200), { terminate: true, nowMs: T });
    expect(verbsOf(more.statements)).not.toContain('completed');
  });

  it('builds the same ids from the same trail', () => {
    const a = buildStatements(facts, initialState([], 0.9, 100), play(0, 30, 0), { terminate: true, nowMs: T });
    const b = buildStatements(facts, initialState([], 0.9, 100), play(0, 30, 0), { terminate: true, nowMs: T });
    expect(a.statements.map((s) => s.id)).toEqual(b.statements.map((s) => s.id));
    expect(nameUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('the independent profile checker', () => {
  it('finds what the statements before the profile got wrong', () => {
    const old = {
      id: '0b6f9d0e-8a8e-4c49-9d4a-5d2f1c1f0a11',
      actor: { objectType: 'Agent', account: { homePage: 'urn:cadre-portal', name: 'u1' } },
      verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
      object: { objectType: 'Activity', id: 'urn:cadre-portal:lecture:l1', definition: { type: 'https://w3id.org/xapi/video/activity-type/video' } },
      result: { completion: true, duration: 'PT90S', extensions: { 'https://w3id.org/xapi/video/extensions/played-segments': '0[.]89.8', 'https://w3id.org/xapi/video/extensions/progress': 0.898, 'https://w3id.org/xapi/video/extensions/length': 100 } },
      context: { extensions: { 'https://w3id.org/xapi/video/extensions/session-id': 'x' } },
      timestamp: new Date(T).toISOString(),
    };
    const problems = checkStatement(old).join('\n');
    expect(problems).toContain('homePage is not an http(s) URL');
    expect(problems).toContain('length is in result.extensions');
    expect(problems).toContain('result lacks time');
    expect(problems).toContain('does not state the completion threshold');
    expect(problems).toContain('contextActivities.category');
  });

  it('refuses a progress that is not the union of played segments over length, and completion below the threshold', () => {
    const { statements } = buildStatements(facts, initialState([], 0.9, 100), play(0, 100, 0), { terminate: false, nowMs: T });
    const completed = JSON.parse(JSON.stringify(statements.find((s) => s.verb.id.endsWith('/completed'))));
    completed.result.extensions['https://w3id.org/xapi/video/extensions/played-segments'] = '0[.]50';
    expect(checkStatement(completed).join()).toContain('is not union(played-segments)/length');
    completed.result.extensions['https://w3id.org/xapi/video/extensions/progress'] = 0.5;
    expect(checkStatement(completed).join()).toContain('below the threshold');
  });
});
