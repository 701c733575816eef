/**
 * The stage of a step request in a timeline: pre-check, action, post-check or rollback. Requests of
 * format 2 and later say it (contracts/types.ts HISTORY_FORMAT); for older ones it is inferred, as
 * the timeline always did, by inferStageOfUnstagedRequest.
 */
import type { StepStage } from '../activities/remediation';
import { HISTORY_FORMAT } from '../contracts/types';
import { malformed, type PayloadSource } from './history-decode';

export type StepRequest =
  { kind: 'check'; stage?: 'pre' | 'post' } | { kind: 'action'; stage?: 'action' | 'rollback'; idempotencyKey: string };

/** Reads the stages of a history's step requests in history order (the inference needs the order). */
export class StageReader {
  private actionsStarted = false;

  constructor(private readonly formatVersion: number) {}

  stageOf(request: StepRequest, source: PayloadSource): StepStage {
    const stage = request.stage ?? this.unstaged(request, source);
    if (stage === 'action') this.actionsStarted = true;
    return stage;
  }

  private unstaged(request: StepRequest, source: PayloadSource): StepStage {
    if (this.formatVersion >= HISTORY_FORMAT.stagedRequests) {
      throw malformed(source, `missing required field "stage" (a history of format ${this.formatVersion} says every step's stage)`);
    }
    return inferStageOfUnstagedRequest(request, this.actionsStarted);
  }
}

/**
 * For histories of format 1, whose requests do not say their stage: a check after the run's first
 * action closed is a post-check, before it a pre-check; an action is a rollback when its idempotency
 * key has the `/rollback/` segment the step runner gives rollback steps.
 */
export function inferStageOfUnstagedRequest(request: StepRequest, actionsStarted: boolean): StepStage {
  switch (request.kind) {
    case 'check':
      return actionsStarted ? 'post' : 'pre';
    case 'action':
      return request.idempotencyKey.includes('/rollback/') ? 'rollback' : 'action';
  }
}
