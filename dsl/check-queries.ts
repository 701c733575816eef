/**
 * The operator's own queries for the standard library's Prometheus checks (operator policy
 * `prometheus.check_queries`, compile option `checkQueries`), for metrics named otherwise than the
 * conventions in ./stdlib. A replacement keeps the check's condition and follows the same PromQL
 * placeholder rules; its placeholders are checked against each runbook's context where it is used.
 */
import { parsePromqlTemplate } from './steps/promql';
import { STDLIB, STDLIB_PROMETHEUS_CHECKS, type StdlibCheck } from './stdlib';
import { didYouMean } from './suggest';

/** Where the replacements come from, as messages name it. */
export const CHECK_QUERIES_KEY = 'prometheus.check_queries';

/** What is wrong with `query` as check `name`'s query, with an offset into the query when it is there; undefined when nothing is. */
export function checkQueryProblem(name: string, query: string): { message: string; offset?: number } | undefined {
  if (!STDLIB_PROMETHEUS_CHECKS.includes(name)) {
    return {
      message: `"${name}" is not a standard Prometheus check${didYouMean(name, STDLIB_PROMETHEUS_CHECKS)}; these are: ${STDLIB_PROMETHEUS_CHECKS.join(', ')}`,
    };
  }
  const parsed = parsePromqlTemplate(query);
  return parsed.ok ? undefined : { message: `the query does not compile: ${parsed.message}`, offset: parsed.offset };
}

/** Standard check `name`, with the operator's query when there is one; undefined for a name it does not define. */
export function standardCheck(
  name: string,
  queries: ReadonlyMap<string, string> | undefined,
): { check: StdlibCheck; where: string } | undefined {
  if (!Object.hasOwn(STDLIB, name)) return undefined;
  const check = STDLIB[name]!;
  const query = queries?.get(name);
  if (query === undefined || !check.probe?.prometheus) return { check, where: 'standard library' };
  return {
    check: { ...check, probe: { prometheus: { ...check.probe.prometheus, query } } },
    where: `standard library, query from the operator policy's ${CHECK_QUERIES_KEY}.${name}`,
  };
}
