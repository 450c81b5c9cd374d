/**
 * The fleet controller's role against the calls its Auto Scaling adapter really makes. No emulator
 * speaks the Auto Scaling or EC2 APIs, so the IAM coverage test under `npm start` cannot see them: here
 * the adapter runs every path (describe, start, stop an idle GPU, let a draining one go) on recording
 * clients, and each call must be allowed by the synthesized role, the ones that change anything on
 * this group only; and the role grants nothing on Auto Scaling or EC2 the adapter never calls.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AsgGpuFleet } from '../../shared/adapters/autoscaling/gpu-fleet.js';
import { flat } from './support/template-queries.js';
import { synthStateless } from './support/test-app.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM action the adapter's calls need, as `service:Action`. */
async function actionsOfAdapter(): Promise<string[]> {
  const called = new Set<string>();
  const recorder = (service: string, answers: Record<string, unknown>) => ({
    send: async (cmd: { constructor: { name: string } }) => {
      const name = cmd.constructor.name.replace(/Command$/, '');
      called.add(`${service}:${name}`);
      return answers[name] ?? {};
    },
  });
  const members = [
    { InstanceId: 'i-idle', LifecycleState: 'InService' },
    { InstanceId: 'i-refreshed', LifecycleState: 'Terminating:Wait' },
  ];
  const fleet = new AsgGpuFleet({
    autoscaling: recorder('autoscaling', {
      DescribeAutoScalingGroups: {
        AutoScalingGroups: [
          { AutoScalingGroupName: 'gpus', DesiredCapacity: 2, Instances: members },
        ],
      },
    }) as never,
    ec2: recorder('ec2', {
      DescribeInstances: {
        Reservations: [{ Instances: members.map((m) => ({ InstanceId: m.InstanceId })) }],
      },
    }) as never,
    groupName: 'gpus',
    drainHookName: 'comfy-serverless-drain',
    port: 8188,
  });
  expect(await fleet.describe()).toHaveLength(2);
  await fleet.launch(1);
  await fleet.stop('i-idle');
  await fleet.stop('i-refreshed');
  return [...called].sort();
}

describe("the fleet controller's role", () => {
  let statements: Statement[];
  let used: string[];
  beforeAll(async () => {
    const { template } = synthStateless({});
    statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('FleetController'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
    used = await actionsOfAdapter();
  });

  const allowing = (action: string) =>
    statements.filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action));

  it('allows every call of the Auto Scaling adapter, and changes only this group', () => {
    expect(used).toEqual([
      'autoscaling:CompleteLifecycleAction',
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:SetDesiredCapacity',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'ec2:DescribeInstances',
    ]);
    for (const action of used) {
      const grants = allowing(action);
      expect(grants, action).not.toHaveLength(0);
      if (/:Describe/.test(action)) continue;
      // Changes are scoped to the group's ARN, never to every group of the account.
      for (const g of grants) {
        expect(g.Resource, action).not.toBe('*');
        expect(flat(g.Resource), action).toMatch(/autoScalingGroupName\/.*ComfyGroup/);
      }
    }
  });

  it('grants nothing on Auto Scaling or EC2 that the adapter never calls', () => {
    const granted = statements
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => [s.Action].flat())
      .filter((a) => /^(autoscaling|ec2):/.test(a));
    expect([...new Set(granted)].sort()).toEqual(used);
  });
});
