/**
 * Approving and rejecting as a test's approvers do: a statement for the run and plan it waits on,
 * signed with an in-process key the worker's policy trusts, sent as the `decide` update. `at` is
 * the environment's clock, which on the time-skipping server runs ahead of the wall clock.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { decisionStatement } from '../../client/approvals';
import { parseAllowedSigners } from '../../dsl/trust/allowed-signers';
import { approvalStatementText } from '../../dsl/trust/statement';
import type { ApprovalGateway, ApprovalStatement, SignedStatement, TrustPolicy } from '../../dsl/trust/types';
import { decideUpdate, statusQuery } from '../../contracts/messages';
import type { DecisionAnswer, RemediationStatus } from '../../contracts/types';
import { type testKey } from './ssh-keys';

export type TestKey = ReturnType<typeof testKey>;

/** The trust policy naming these keys (and gateways). */
export function trustOf(keys: readonly TestKey[], gateways: ApprovalGateway[] = [], statementMaxAgeMs = 15 * 60_000): TrustPolicy {
  const { signers, errors } = parseAllowedSigners(keys.map((k) => k.allowedSignersLine).join('\n'));
  if (errors.length > 0) throw new Error(`test keys do not parse: ${JSON.stringify(errors)}`);
  return { allowedSigners: signers, gateways, statementMaxAgeMs };
}

export async function clockOf(env: TestWorkflowEnvironment): Promise<Date> {
  return new Date(await env.currentTimeMs());
}

export async function awaitingApproval(handle: WorkflowHandle, timeoutMs = 30_000): Promise<RemediationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status?.phase === 'awaiting_approval' && status.planHash) return status;
    if (status?.phase === 'done' || Date.now() > deadline) throw new Error(`not awaiting approval: ${status?.phase ?? 'no answer'}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A signed statement for the run `handle` points at, as `key` would make it; `override` bends any field. */
export async function statementFor(
  handle: WorkflowHandle,
  key: TestKey,
  at: Date,
  override: Partial<ApprovalStatement> = {},
): Promise<SignedStatement> {
  const status = await awaitingApproval(handle);
  const { runId } = await handle.describe();
  const statement = {
    ...decisionStatement({ runId, status, planHash: status.planHash! }, handle.workflowId, {
      verdict: 'approve',
      planHash: status.planHash!,
      at,
    }),
    ...override,
  };
  const text = approvalStatementText(statement);
  return { statement: text, signature: key.sign(text) };
}

export async function decide(handle: WorkflowHandle, signed: unknown): Promise<DecisionAnswer> {
  return await handle.executeUpdate(decideUpdate, { args: [signed as SignedStatement] });
}

/** Signs and sends; `override` sets the verdict, reason or any field. */
export async function approveWith(
  handle: WorkflowHandle,
  key: TestKey,
  at: Date,
  override: Partial<ApprovalStatement> = {},
): Promise<DecisionAnswer> {
  return await decide(handle, await statementFor(handle, key, at, override));
}
