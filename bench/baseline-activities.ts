/** The baseline's activities: trivial on purpose, so the baseline measures Temporal alone. */
export function createBaselineActivities() {
  return {
    async trivial(id: string, step: number): Promise<string> {
      return `${id}:${step}`;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
