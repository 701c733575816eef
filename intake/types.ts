/** The intake service's route contract (shared by every route module: incidents, alertmanager). */

export interface IntakeRequest {
  /** The authenticated source's name (the policy's `intake.sources` key). */
  source: string;
  /** The parsed JSON body. Untrusted. */
  body: unknown;
  rawBody: Buffer;
}

export interface IntakeResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (request: IntakeRequest) => Promise<IntakeResponse>;
