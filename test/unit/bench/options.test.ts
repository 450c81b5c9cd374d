import { describe, expect, it } from 'vitest';
import { groupsFor, parseBenchOptions } from '../../../bench/lib/options.js';

describe('parseBenchOptions', () => {
  it('measures every figure by default, with the default sizes', () => {
    const o = parseBenchOptions([], {});
    expect(o).toMatchObject({
      only: [
        'gpu',
        'lag',
        'requests',
        'submit',
        'idle',
        'copy',
        'cold',
        'fleet',
        'formats',
        'policy',
        'ratelimit',
        'push',
      ],
      tasks: 200,
      clients: 16,
      idleTasks: 100_000,
      copyMib: 1024,
    });
  });

  it('takes --only with aliases, and a real ComfyUI from COMFYUI_URL', () => {
    const o = parseBenchOptions(['--only', 'gpu, lag,cost'], { COMFYUI_URL: 'http://gpu:8188/' });
    expect(o).toMatchObject({ only: ['gpu', 'lag', 'requests'], comfyuiUrl: 'http://gpu:8188' });
  });

  it('runs the local fleet figures on real servers with --gpu-command or COMFYUI_FLEET_COMMAND', () => {
    const cmd = 'python main.py --port {port}';
    expect(parseBenchOptions(['--only', 'fleet', '--gpu-command', cmd], {})).toMatchObject({
      gpuCommand: cmd,
    });
    expect(parseBenchOptions([], { COMFYUI_FLEET_COMMAND: cmd })).toMatchObject({
      gpuCommand: cmd,
    });
    expect(parseBenchOptions([], {})).not.toHaveProperty('gpuCommand');
  });

  it('refuses unknown figures and bad numbers', () => {
    expect(() => parseBenchOptions(['--only', 'gpu,speed'], {})).toThrow(/unknown figure/);
    expect(() => parseBenchOptions(['--tasks', '0'], {})).toThrow(/--tasks/);
    expect(() => parseBenchOptions([], { COMFYUI_URL: 'not a url' })).toThrow(/COMFYUI_URL/);
  });
});

describe('groupsFor', () => {
  it('runs the load run once for gpu, lag and requests', () => {
    expect(groupsFor(['lag', 'gpu', 'requests'])).toEqual(['load']);
    expect(groupsFor(['copy', 'gpu', 'cold'])).toEqual(['cold', 'load', 'copy']);
  });
});
