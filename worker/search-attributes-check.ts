/**
 * The remediation workflow sets custom search attributes; on a namespace where they are not
 * registered every remediation would stall on its first workflow task. Check once at worker
 * start and say exactly what to run instead.
 */
import type { Client } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

export class MissingSearchAttributesError extends UserFacingError {
  override readonly name = 'MissingSearchAttributesError';
  readonly exitCode = EXIT.USAGE;
  constructor(
    readonly namespace: string,
    readonly missing: string[],
  ) {
    super(
      `namespace ${namespace} lacks the search attributes ${missing.join(', ')} that remediations set. Register them once:\n` +
        missing
          .map((name) => `  temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`)
          .join('\n'),
    );
  }
}

export async function assertSearchAttributes(client: Client, namespace: string): Promise<void> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = ALL_SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !(name in (customAttributes ?? {})));
  if (missing.length > 0) throw new MissingSearchAttributesError(namespace, missing);
}
