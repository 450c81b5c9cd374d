/**
 * The GPU fleet as an EC2 Auto Scaling group. Instances start protected from scale-in, so the group
 * never picks one to terminate: the controller names the idle one (TerminateInstanceInAutoScalingGroup
 * with a decrement of the desired count), and completes the drain lifecycle hook of an instance that
 * is terminating for any other reason (instance refresh, health check) once it holds no prompts.
 * Addresses come from EC2 (the group lists ids only).
 */
import {
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { GpuFleet, GpuInstance } from '../../ports/gpu-fleet.js';
import { translateAwsError } from '../aws/errors.js';

export interface AsgGpuFleetOptions {
  autoscaling: Pick<AutoScalingClient, 'send'>;
  ec2: Pick<EC2Client, 'send'>;
  groupName: string;
  /** The termination lifecycle hook that holds a terminating instance while it drains. */
  drainHookName: string;
  /** ComfyUI's port on each instance. */
  port: number;
}

interface Seen {
  desired: number;
  states: Map<string, string>;
}

export class AsgGpuFleet implements GpuFleet {
  private seen: Seen | undefined;

  constructor(private readonly opts: AsgGpuFleetOptions) {}

  async describe(): Promise<GpuInstance[]> {
    const group = await this.call('Describing the GPU group', async () => {
      const out = await this.opts.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.opts.groupName] }),
      );
      const g = out.AutoScalingGroups?.[0];
      if (!g) throw new Error(`Auto Scaling group ${this.opts.groupName} not found`);
      return g;
    });
    const members = (group.Instances ?? []).filter(
      (i): i is typeof i & { InstanceId: string } =>
        !!i.InstanceId && !(i.LifecycleState ?? '').startsWith('Warmed'),
    );
    this.seen = {
      desired: group.DesiredCapacity ?? members.length,
      states: new Map(members.map((i) => [i.InstanceId, i.LifecycleState ?? ''])),
    };
    if (members.length === 0) return [];
    const ec2 = await this.call('Describing GPU instances', () =>
      this.opts.ec2.send(
        new DescribeInstancesCommand({ InstanceIds: members.map((i) => i.InstanceId) }),
      ),
    );
    const details = new Map(
      (ec2.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => [i.InstanceId ?? '', i] as const),
    );
    return members.map((m) => {
      const d = details.get(m.InstanceId);
      const state = m.LifecycleState ?? '';
      const ip = d?.PrivateIpAddress;
      return {
        id: m.InstanceId,
        state: state.startsWith('Terminating')
          ? 'stopping'
          : state === 'InService'
            ? 'running'
            : 'starting',
        launchedAt: d?.LaunchTime ? d.LaunchTime.getTime() : Date.now(),
        ...(ip ? { url: `http://${ip}:${this.opts.port}` } : {}),
      };
    });
  }

  async launch(count: number): Promise<void> {
    const desired = (this.seen?.desired ?? 0) + count;
    await this.call('Raising the GPU count', () =>
      this.opts.autoscaling.send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: this.opts.groupName,
          DesiredCapacity: desired,
          HonorCooldown: false,
        }),
      ),
    );
    if (this.seen) this.seen.desired = desired;
  }

  async stop(id: string): Promise<void> {
    const state = this.seen?.states.get(id) ?? '';
    if (state === 'Terminating:Wait') {
      await this.call('Completing the drain of a GPU', () =>
        this.opts.autoscaling.send(
          new CompleteLifecycleActionCommand({
            AutoScalingGroupName: this.opts.groupName,
            LifecycleHookName: this.opts.drainHookName,
            InstanceId: id,
            LifecycleActionResult: 'CONTINUE',
          }),
        ),
      );
      return;
    }
    if (state.startsWith('Terminating')) return;
    await this.call('Stopping a GPU', () =>
      this.opts.autoscaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: id,
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    );
    if (this.seen) this.seen.desired = Math.max(0, this.seen.desired - 1);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw translateAwsError(err, what);
    }
  }
}
