import { afterEach, beforeEach, describe, it } from 'vitest';
import { createMemoryHub, memoryRegistry } from '@orrery/server';
import { registryConformance } from '@orrery/server/testing';

registryConformance({ describe, it, beforeEach, afterEach }, 'in-memory', async () => {
  const hub = createMemoryHub();
  return { node: () => memoryRegistry({ hub }), close: async () => {} };
});
