/**
 * The public HTTP API: one route per route a function manifest serves, each integrated with that function,
 * every route behind one authorizer (API keys through a cached Lambda authorizer, or JWTs checked by
 * API Gateway itself), CORS for the configured browser origins, stage-wide throttling and JSON
 * access logs (which never include the API key or the token).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpJwtAuthorizer,
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BoundRoute } from '../../functions/manifests.js';
import { API_CORS, API_THROTTLE, JWT_IDENTITY_SOURCE } from '../../shared/http/routes.js';

type TaskApiAuth =
  | {
      readonly mode: 'apiKey';
      /** functions/authorizer: payload 2.0, simple responses, context `{ owner }`. */
      readonly authorizer: IFunction;
      /** Where the key is (functions/authorizer/manifest.ts). */
      readonly identitySource: readonly string[];
      /** How long API Gateway caches a key's verdict. A revoked key keeps working this long. */
      readonly cacheTtl: Duration;
    }
  | {
      readonly mode: 'jwt';
      /** Token issuer (`iss`); API Gateway fetches its keys from `<issuer>/.well-known/...`. */
      readonly issuer: string;
      /** Accepted audiences (`aud`, or `client_id` for Cognito access tokens). */
      readonly audience: readonly string[];
    };

export interface TaskApiProps {
  readonly routes: readonly BoundRoute[];
  /** The function behind each route, by its `fn` folder name. */
  readonly handlers: Readonly<Record<string, IFunction>>;
  readonly auth: TaskApiAuth;
  /**
   * Browser origins allowed to call the API. Empty: no CORS (servers and mobile apps need none).
   * @default []
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Steady-state requests per second for the whole stage.
   * @default 50
   */
  readonly rateLimit?: number;
  /**
   * Burst capacity for the whole stage.
   * @default 100
   */
  readonly burstLimit?: number;
  /**
   * How long access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
}

export class TaskApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: TaskApiProps) {
    super(scope, id);
    const origins = props.corsOrigins ?? [];
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'comfy-serverless task API',
      createDefaultStage: false,
      ...(origins.length
        ? {
            corsPreflight: {
              allowOrigins: [...origins],
              allowMethods: API_CORS.allowMethods.map((m) => CorsHttpMethod[m]),
              allowHeaders: [...API_CORS.allowHeaders],
              maxAge: Duration.seconds(API_CORS.maxAgeSeconds),
            },
          }
        : {}),
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.rateLimit ?? API_THROTTLE.rateLimit,
        burstLimit: props.burstLimit ?? API_THROTTLE.burstLimit,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            owner: '$context.authorizer.owner',
            sub: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });

    const authorizer = createAuthorizer(props.auth);
    for (const route of props.routes) {
      const handler = props.handlers[route.fn];
      if (!handler) throw new Error(`TaskApi: no function for route ${route.method} ${route.path}`);
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${pascal(route.fn)}Integration`, handler),
        authorizer,
      });
    }
  }

  /** The stage's invoke URL (ends with `/`). */
  get url(): string {
    return this.stage.url;
  }
}

function createAuthorizer(auth: TaskApiAuth): IHttpRouteAuthorizer {
  if (auth.mode === 'jwt') {
    return new HttpJwtAuthorizer('JwtAuthorizer', auth.issuer, {
      jwtAudience: [...auth.audience],
      identitySource: [...JWT_IDENTITY_SOURCE],
    });
  }
  return new HttpLambdaAuthorizer('ApiKeyAuthorizer', auth.authorizer, {
    responseTypes: [HttpLambdaResponseType.SIMPLE],
    // The cache key: requests with the same key reuse the verdict; a request without it is
    // rejected with 401 before the function runs.
    identitySource: [...auth.identitySource],
    resultsCacheTtl: auth.cacheTtl,
  });
}

const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
