import { describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, parseSettings } from '../../infra/settings.js';

describe('parseSettings', () => {
  it('gives every option its documented default', () => {
    const settings = parseSettings({});
    expect(settings).toMatchObject({
      stackPrefix: 'ComfyServerless',
      authMode: 'apiKey',
      corsOrigins: [],
      natGateway: true,
      instanceType: 'g6.xlarge',
      volumeSize: 100,
      comfyuiRef: 'v0.3.64',
      models: DEFAULT_MODELS,
      dispatchMaxConcurrency: 2,
      pollerReservedConcurrency: 0,
      logRetentionDays: 30,
      minGpus: 0,
      maxGpus: 2,
      gpuIdleMinutes: 10,
      gpuIdleFollowsDemand: false,
      gpuCapacityWaitMinutes: 15,
      warmPool: 0,
      spotTypes: [],
      customNodes: [],
    });
    expect(settings.alarmEmail).toBeUndefined();
  });

  it('refuses a GPU fleet it could not build: min above max, a warm pool with spot, unpinned custom nodes', () => {
    expect(() => parseSettings({ minGpus: '3', maxGpus: '2' })).toThrow(
      /minGpus: more than maxGpus/,
    );
    expect(() => parseSettings({ warmPool: '1', spotTypes: 'g6.xlarge,g5.xlarge' })).toThrow(
      /warmPool: a warm pool cannot be used with spotTypes/,
    );
    expect(() =>
      parseSettings({ customNodes: '[{"repo":"https://x/y; rm -rf /","ref":"main"}]' }),
    ).toThrow(/customNodes/);
    expect(parseSettings({ spotTypes: 'g6.xlarge, g5.xlarge' }).spotTypes).toEqual([
      'g6.xlarge',
      'g5.xlarge',
    ]);
  });

  it('reads the strings `cdk -c name=value` passes', () => {
    const settings = parseSettings({
      natGateway: 'false',
      volumeSize: '200',
      corsOrigins: 'https://a.example, https://b.example',
      models:
        '[{"url":"s3://my-models/sdxl.safetensors","folder":"checkpoints","filename":"sdxl.safetensors"}]',
    });
    expect(settings.natGateway).toBe(false);
    expect(settings.volumeSize).toBe(200);
    expect(settings.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(settings.models[0]?.folder).toBe('checkpoints');
  });

  it('requires an issuer and an audience in JWT mode', () => {
    expect(() => parseSettings({ authMode: 'jwt' })).toThrow(/jwtIssuer/);
    const jwt = parseSettings({
      authMode: 'jwt',
      jwtIssuer: 'https://idp.example.com/',
      jwtAudience: 'comfy-api',
    });
    expect(jwt.jwtAudience).toEqual(['comfy-api']);
  });

  it('passes function configuration through, checked against shared/config.ts', () => {
    const settings = parseSettings({ functionEnv: '{"MAX_IN_FLIGHT":"4","LOG_LEVEL":"DEBUG"}' });
    expect(settings.functionEnv).toEqual({ MAX_IN_FLIGHT: '4', LOG_LEVEL: 'DEBUG' });
    expect(() => parseSettings({ functionEnv: { MAX_IN_FLIGHT: '0' } })).toThrow(/MAX_IN_FLIGHT/);
    expect(() => parseSettings({ functionEnv: { TASKS_TABLE_NAME: 'x' } })).toThrow(
      /not a configurable/,
    );
    expect(() => parseSettings({ functionEnv: { NOPE: '1' } })).toThrow(/NOPE/);
  });

  it('rejects model entries that could break out of the instance setup script', () => {
    const bad = [{ url: 'https://x.example/a"; rm -rf /', folder: 'checkpoints', filename: 'a' }];
    expect(() => parseSettings({ models: bad })).toThrow(/models/);
    const badFolder = [{ url: 'https://x.example/a', folder: '../etc', filename: 'a' }];
    expect(() => parseSettings({ models: badFolder })).toThrow(/models/);
  });
});

describe('DEFAULT_MODELS', () => {
  it('provides the checkpoint every built-in template names', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../shared/templates/builtin/', import.meta.url);
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => [
        ...readFileSync(new URL(f, dir), 'utf8').matchAll(/"ckpt_name":\s*"([^"]+)"/g),
      ])
      .map((m) => m[1]);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(DEFAULT_MODELS.map((m) => `${m.folder}/${m.filename}`)).toContain(
        `checkpoints/${name}`,
      );
    }
  });
});
