import { describe, expect, it } from 'vitest';
import { authorisedApprovers, judgeActor } from '../../workflows/approval-rules';

const approval = { approvers: ['Alice', 'group:sre'], quorum: 2, timeoutMs: 1, escalateAfterMs: 1 };
const groups = { sre: ['bob', 'carol'] };

describe('approval rules', () => {
  it('expands groups and falls back to the operator default', () => {
    expect([...authorisedApprovers(approval, [], groups)].sort()).toEqual(['alice', 'bob', 'carol']);
    expect([...authorisedApprovers({ ...approval, approvers: [] }, ['dave'], groups)]).toEqual(['dave']);
    expect([...authorisedApprovers({ ...approval, approvers: ['group:unknown'] }, [], groups)]).toEqual([]);
  });

  it('counts an authorised approver for the current plan, case and spaces aside', () => {
    const allowed = authorisedApprovers(approval, [], groups);
    expect(judgeActor({ by: ' ALICE ', allowed, currentPlanHash: 'p1' })).toEqual({ counts: true });
    expect(judgeActor({ by: 'bob', allowed, shownPlanHash: 'p1', currentPlanHash: 'p1' })).toEqual({ counts: true });
  });

  it('refuses strangers, self-approval, empty names and approvals for another plan', () => {
    const allowed = authorisedApprovers(approval, [], groups);
    expect(judgeActor({ by: 'mallory', allowed, currentPlanHash: 'p1' })).toMatchObject({
      counts: false,
      why: expect.stringContaining('not an authorised'),
    });
    expect(judgeActor({ by: 'bob', allowed, submittedBy: 'Bob', currentPlanHash: 'p1' })).toMatchObject({
      counts: false,
      why: expect.stringContaining('submitted'),
    });
    expect(judgeActor({ by: '  ', allowed, currentPlanHash: 'p1' })).toMatchObject({ counts: false });
    expect(judgeActor({ by: 'alice', allowed, shownPlanHash: 'p0', currentPlanHash: 'p1' })).toMatchObject({
      counts: false,
      why: expect.stringContaining('plan'),
    });
  });
});
