/** The in-memory fleet registry meets the FleetRegistry contract (the same suite runs on DynamoDB Local). */
import { describe } from 'vitest';
import { fleetRegistryContract } from '../../contract/fleet-registry.contract.js';
import { InMemoryFleetRegistry } from '../../fakes/in-memory-fleet.js';

describe('InMemoryFleetRegistry meets the FleetRegistry contract', () => {
  fleetRegistryContract(async (clock) => new InMemoryFleetRegistry(clock));
});
