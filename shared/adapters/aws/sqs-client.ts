/** The SQS client, built once per container. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { notifyAwsClients } from './observers.js';

export function createSqsClient(
  cfg: { region: string; sqsEndpoint?: string },
  opts: { observe?: boolean } = {},
): SQSClient {
  const sqs = new SQSClient({
    region: cfg.region,
    // Against an emulator: its endpoint, not the QueueUrl's host.
    ...(cfg.sqsEndpoint ? { endpoint: cfg.sqsEndpoint, useQueueUrlAsEndpoint: false } : {}),
  });
  if (opts.observe !== false) notifyAwsClients({ sqs });
  return sqs;
}
