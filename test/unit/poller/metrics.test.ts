import { describe, expect, it } from 'vitest';
import { recordPollMetrics } from '../../../shared/poller/metrics.js';
import type { PollReport } from '../../../shared/poller/report.js';

const sink = () => {
  const added: [string, string, number][] = [];
  return { added, addMetric: (n: string, u: string, v: number) => added.push([n, u, v]) };
};

describe('recordPollMetrics', () => {
  it('counts outcomes and records timings and the poller lag', () => {
    const report: PollReport = {
      active: 3,
      servers: [
        { url: 'a', reachable: true },
        { url: 'b', reachable: false },
      ],
      tasks: [
        {
          taskId: '1',
          server: 'a',
          outcome: 'succeeded',
          queueWaitMs: 10,
          runTimeMs: 2000,
          copyTimeMs: 30,
          resultLagMs: 400,
          staleMs: 500,
        },
        { taskId: '2', server: 'a', outcome: 'failed', code: 'TIMEOUT', staleMs: 1500 },
        { taskId: '3', server: 'b', outcome: 'unreachable' },
      ],
    };
    const s = sink();
    recordPollMetrics(report, 42, s);
    expect(s.added).toEqual(
      expect.arrayContaining([
        ['ActiveTasks', 'Count', 3],
        ['TasksCompleted', 'Count', 1],
        ['TasksFailed', 'Count', 1],
        ['PollUnreachable', 'Count', 1],
        ['QueueWaitMs', 'Milliseconds', 10],
        ['RunTimeMs', 'Milliseconds', 2000],
        ['CopyTimeMs', 'Milliseconds', 30],
        ['ResultLagMs', 'Milliseconds', 400],
        ['PollerLagSeconds', 'Seconds', 1.5],
        ['ComfyServersUnreachable', 'Count', 1],
        ['PollDurationMs', 'Milliseconds', 42],
      ]),
    );
  });

  it('records nothing for a poll with no active tasks', () => {
    const s = sink();
    expect(recordPollMetrics({ active: 0, servers: [], tasks: [] }, 5, s)).toBe(0);
    expect(s.added).toEqual([]);
  });
});
