/**
 * The Auto Scaling adapter's requests, read off SDK commands sent to a recording client (no emulator
 * speaks the Auto Scaling or EC2 APIs): what it asks AWS for is what a real account would receive.
 */
import { describe, expect, it } from 'vitest';
import { AsgGpuFleet } from '../../../shared/adapters/autoscaling/gpu-fleet.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';

type Sent = { name: string; input: Record<string, unknown> };

function recording(answers: Record<string, unknown>) {
  const sent: Sent[] = [];
  const client = {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = cmd.constructor.name;
      sent.push({ name, input: cmd.input });
      const a = answers[name];
      if (a instanceof Error) throw a;
      return a ?? {};
    },
  };
  return { sent, client: client as never };
}

const group = (
  instances: { InstanceId: string; LifecycleState: string }[],
  desired = instances.length,
) => ({
  AutoScalingGroups: [
    { AutoScalingGroupName: 'gpus', DesiredCapacity: desired, Instances: instances },
  ],
});

function fleetWith(instances: { InstanceId: string; LifecycleState: string }[]) {
  const asg = recording({
    DescribeAutoScalingGroupsCommand: group(instances),
  });
  const ec2 = recording({
    DescribeInstancesCommand: {
      Reservations: [
        {
          Instances: instances.map((i, k) => ({
            InstanceId: i.InstanceId,
            PrivateIpAddress: `10.0.1.${k + 10}`,
            LaunchTime: new Date('2026-01-01T00:00:00Z'),
          })),
        },
      ],
    },
  });
  const fleet = new AsgGpuFleet({
    autoscaling: asg.client,
    ec2: ec2.client,
    groupName: 'gpus',
    drainHookName: 'comfy-serverless-drain',
    port: 8188,
  });
  return { fleet, asg, ec2 };
}

describe('AsgGpuFleet', () => {
  it('lists members with their private ComfyUI address and state, leaving warm-pool instances out', async () => {
    const { fleet } = fleetWith([
      { InstanceId: 'i-a', LifecycleState: 'InService' },
      { InstanceId: 'i-b', LifecycleState: 'Pending' },
      { InstanceId: 'i-c', LifecycleState: 'Terminating:Wait' },
      { InstanceId: 'i-w', LifecycleState: 'Warmed:Stopped' },
    ]);
    const got = await fleet.describe();
    expect(got.map((i) => [i.id, i.state, i.url])).toEqual([
      ['i-a', 'running', 'http://10.0.1.10:8188'],
      ['i-b', 'starting', 'http://10.0.1.11:8188'],
      ['i-c', 'stopping', 'http://10.0.1.12:8188'],
    ]);
  });

  it('scales out by raising the desired count without honouring cooldowns', async () => {
    const { fleet, asg } = fleetWith([{ InstanceId: 'i-a', LifecycleState: 'InService' }]);
    await fleet.describe();
    await fleet.launch(2);
    expect(asg.sent.at(-1)).toEqual({
      name: 'SetDesiredCapacityCommand',
      input: { AutoScalingGroupName: 'gpus', DesiredCapacity: 3, HonorCooldown: false },
    });
  });

  it('stops the named instance with a decrement, and completes the drain hook of one waiting in it', async () => {
    const { fleet, asg } = fleetWith([
      { InstanceId: 'i-a', LifecycleState: 'InService' },
      { InstanceId: 'i-c', LifecycleState: 'Terminating:Wait' },
      { InstanceId: 'i-d', LifecycleState: 'Terminating:Proceed' },
    ]);
    await fleet.describe();
    await fleet.stop('i-a');
    await fleet.stop('i-c');
    await fleet.stop('i-d');
    expect(asg.sent.slice(1)).toEqual([
      {
        name: 'TerminateInstanceInAutoScalingGroupCommand',
        input: { InstanceId: 'i-a', ShouldDecrementDesiredCapacity: true },
      },
      {
        name: 'CompleteLifecycleActionCommand',
        input: {
          AutoScalingGroupName: 'gpus',
          LifecycleHookName: 'comfy-serverless-drain',
          InstanceId: 'i-c',
          LifecycleActionResult: 'CONTINUE',
        },
      },
    ]);
  });

  it('turns throttling into DependencyUnavailableError', async () => {
    const err = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    const asg = recording({ DescribeAutoScalingGroupsCommand: err });
    const fleet = new AsgGpuFleet({
      autoscaling: asg.client,
      ec2: recording({}).client,
      groupName: 'gpus',
      drainHookName: 'h',
      port: 8188,
    });
    await expect(fleet.describe()).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
