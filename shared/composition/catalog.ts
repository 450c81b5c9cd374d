/** The node catalogue as the API functions read it: from S3, cached for CATALOG_CACHE_SECONDS. */
import type { S3Client } from '@aws-sdk/client-s3';
import { S3NodeCatalogStore } from '../adapters/s3/node-catalog-store.js';
import { type CatalogSource, cachedCatalog } from '../catalog/catalog-cache.js';
import type { Config } from '../config.js';
import { logger } from '../observability.js';
import type { Clock } from '../ports/clock.js';

export const catalogSourceFor = (
  c: Pick<Config, 'OUTPUTS_BUCKET_NAME' | 'CATALOG_CACHE_SECONDS'>,
  s3: S3Client,
  clock: Clock,
): CatalogSource =>
  cachedCatalog(
    new S3NodeCatalogStore({ client: s3, bucket: c.OUTPUTS_BUCKET_NAME }),
    clock,
    c.CATALOG_CACHE_SECONDS * 1000,
    (err) =>
      logger.warn('node catalogue not read; submits are not checked against it', {
        error: String(err),
      }),
  );
