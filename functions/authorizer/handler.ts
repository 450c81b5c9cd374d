/**
 * The HTTP API Lambda authorizer (payload 2.0, simple responses) for API keys in `x-api-key`. A valid,
 * unrevoked key authorizes with context `{ owner, keyId, limits? }` (limits: the owner's resource
 * limits as JSON, when set), which handlers read as
 * `requestContext.authorizer.lambda.owner`. Store failures throw (API Gateway answers 500, never allows).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerResult,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { API_KEY_HEADER, authenticateApiKey } from '../../shared/auth/api-keys.js';
import type { ApiKeyStore } from '../../shared/ports/key-store.js';

export interface AuthorizerDeps {
  keys: ApiKeyStore;
  logger: Logger;
}

export type AuthorizerResult =
  | APIGatewaySimpleAuthorizerResult
  | APIGatewaySimpleAuthorizerWithContextResult<{ owner: string; keyId: string; limits?: string }>;

export const createHandler = (deps: AuthorizerDeps) =>
  middy<APIGatewayRequestAuthorizerEventV2, AuthorizerResult>({ timeoutEarlyInMillis: 0 })
    // Never log the event: it holds the API key, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
    .use(injectLambdaContext(deps.logger, { resetKeys: true, logEvent: false }))
    .handler(async (event) => {
      const found = await authenticateApiKey(deps.keys, event.headers?.[API_KEY_HEADER]);
      if (!found) {
        deps.logger.warn('api key rejected', { routeKey: event.routeKey });
        return { isAuthorized: false };
      }
      return { isAuthorized: true, context: found };
    });
