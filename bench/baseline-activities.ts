/** The baseline's activities: trivial on purpose, so the baseline measures Temporal alone. */
/** `firstStarts`: when each workflow's first activity started (ms since epoch), for the latency baseline. */
export function createBaselineActivities(firstStarts?: Map<string, number>) {
  return {
    async trivial(id: string, step: number): Promise<string> {
      if (step === 0 && firstStarts && !firstStarts.has(id)) firstStarts.set(id, Date.now());
      return `${id}:${step}`;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
