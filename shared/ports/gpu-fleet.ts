/**
 * The GPU instances that run ComfyUI: an EC2 Auto Scaling group in AWS, ComfyUI stand-ins on their
 * own ports locally. The fleet controller is the only caller.
 */
export interface GpuInstance {
  id: string;
  /** `starting` until the machine runs; `running`; `stopping` once it is being taken away. */
  state: 'starting' | 'running' | 'stopping';
  /** ComfyUI's base URL on the private network, once the instance has an address. */
  url?: string;
  launchedAt: number;
}

export interface GpuFleet {
  /** Instances that exist now (terminated ones are left out). */
  describe(): Promise<GpuInstance[]>;
  /** Start `count` more instances (from a warm pool where there is one). */
  launch(count: number): Promise<void>;
  /**
   * Take this instance away and lower the wanted count with it; the group never picks the victim.
   * `replace`: it is broken (its ComfyUI stopped answering), not idle: whatever it held goes back to
   * the queue through the lost-task path.
   */
  stop(id: string, why?: 'replace'): Promise<void>;
}
