/**
 * Figure 4, AWS requests per task over the whole load run, by service and operation, as billed (SDK
 * attempts, retries included), counted by the RequestCounter middleware on every SDK client of the
 * runtime; and the cost per 1,000 tasks at list prices (lib/prices.ts). Target: at most 15 requests
 * per task.
 *
 * The bench's own status polling is not the system's cost: requests made inside `status`
 * invocations, and the authorizer's requests in proportion of status calls to all API calls (the
 * local authorizer runs on every request, its cache being off), are reported apart as `polling_*`.
 */
import { type Figure, figure, round } from '../lib/figure.js';
import { PRICE_SOURCE } from '../lib/prices.js';
import {
  capacityTotals,
  costOf,
  requestsByOperation,
  requestsByScope,
  requestsByScopeAndOperation,
  scaleCost,
  splitUsage,
  totalRequests,
  type Usage,
  unitsByScopeAndOperation,
} from '../lib/usage.js';
import type { LoadRunResult } from './load-run.js';

const TARGET = { op: '<=', value: 15 } as const;

const perTask = (counts: Record<string, number>, n: number) =>
  Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / n, 3)]));

function invocationsPerTask(usage: Usage, n: number): Record<string, number> {
  return Object.fromEntries(
    usage.invocations
      .map((i) => [i.functionName, round(i.count / n, 3)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

export function requestFigures(run: LoadRunResult): Figure[] {
  const n = run.tasks.length;
  const apiCalls = run.statusCalls + run.submitCalls;
  const authorizerShare = apiCalls ? run.statusCalls / apiCalls : 0;
  const { kept: system, moved: polling } = splitUsage(
    run.usage,
    (scope) => (scope === 'status' ? 1 : scope === 'authorizer' ? authorizerShare : 0),
    { kept: run.submitCalls, moved: run.statusCalls },
  );
  const systemCost = scaleCost(costOf(system), 1000 / n);
  const pollingCost = scaleCost(costOf(polling), 1000 / n);
  const units = capacityTotals(system);
  const requests = totalRequests(system.requests);
  return [
    figure('aws_requests_per_task', requests / n, 'requests', TARGET, {
      tasks: n,
      by_operation: perTask(requestsByOperation(system.requests), n),
      by_function: perTask(requestsByScope(system.requests), n),
      by_function_operation: Object.fromEntries(
        Object.entries(requestsByScopeAndOperation(system.requests)).map(([scope, ops]) => [
          scope,
          perTask(ops, n),
        ]),
      ),
      dynamodb_units_per_task: Object.fromEntries(
        Object.entries(unitsByScopeAndOperation(system)).map(([k, u]) => [
          k,
          { write: round(u.write / n, 3), read: round(u.read / n, 3) },
        ]),
      ),
      dynamodb_write_units_per_task: round(units.writeUnits / n, 3),
      dynamodb_read_units_per_task: round(units.readUnits / n, 3),
      lambda_invocations_per_task: invocationsPerTask(system, n),
      polling_requests_per_task: round(totalRequests(polling.requests) / n, 3),
      polling_by_operation: perTask(requestsByOperation(polling.requests), n),
      status_calls_per_task: round(run.statusCalls / n, 3),
      note: 'system requests exclude the bench status polling (reported as polling_*)',
    }),
    figure('cost_per_1000_tasks_usd', systemCost.total, 'USD', undefined, {
      dynamodb: round(systemCost.dynamodb, 3),
      sqs: round(systemCost.sqs, 3),
      s3: round(systemCost.s3, 3),
      lambda: round(systemCost.lambda, 3),
      http_api: round(systemCost.httpApi, 3),
      polling_usd_per_1000_tasks: round(pollingCost.total, 3),
      prices: PRICE_SOURCE,
      lambda_duration:
        'local wall-clock time of each invocation at deployed memory sizes (busy machine: an overestimate)',
      excluded: 'GPU instance, S3 storage and transfer, CloudWatch, NAT',
    }),
  ];
}
