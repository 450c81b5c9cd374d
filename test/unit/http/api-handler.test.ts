import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { apiHandler } from '../../../shared/http/api-handler.js';
import { json } from '../../../shared/http/responses.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

const logger = new Logger({ logLevel: 'SILENT' });

describe('apiHandler', () => {
  it('hands the route the owner and the parsed body, and flushes the metrics it added', async () => {
    // Prepare
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
    const publish = vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const handler = apiHandler({ logger, metrics }, { jsonBody: true }, async ({ owner, body }) => {
      metrics.addMetric('Things', MetricUnit.Count, 1);
      return json(200, { owner, body });
    });
    // Act
    const res = await handler(
      apiEvent({ method: 'POST', body: { a: 1 }, jwtSub: 'u-9' }),
      lambdaContext(),
    );
    // Assess
    expect(bodyOf(res)).toEqual({ owner: 'u-9', body: { a: 1 } });
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('does not flush when the route added no metric', async () => {
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
    const publish = vi.spyOn(metrics, 'publishStoredMetrics');
    const handler = apiHandler({ logger, metrics }, {}, async () => json(200, {}));
    await handler(apiEvent(), lambdaContext());
    expect(publish).not.toHaveBeenCalled();
  });

  it('measures the body limit on the decoded bytes of a base64 body', async () => {
    const handler = apiHandler({ logger }, { maxBodyBytes: 10 }, async () => json(200, {}));
    const small = Buffer.alloc(10).toString('base64');
    const big = Buffer.alloc(11).toString('base64');
    const ok = await handler(
      apiEvent({ method: 'POST', body: small, isBase64Encoded: true }),
      lambdaContext(),
    );
    const tooBig = await handler(
      apiEvent({ method: 'POST', body: big, isBase64Encoded: true }),
      lambdaContext(),
    );
    expect(ok.statusCode).toBe(200);
    expect(tooBig.statusCode).toBe(413);
    expect(bodyOf(tooBig).error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limit: 10, size: 11 },
    });
  });
});
