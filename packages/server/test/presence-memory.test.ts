import { afterEach, beforeEach, describe, it } from 'vitest';
import { createMemoryHub, memoryRegistry } from '@orrery/server';
import { memoryPresence } from '@orrery/server/presence';
import { presenceConformance } from '@orrery/server/testing';

presenceConformance({ describe, it, beforeEach, afterEach }, 'memory', async () => {
  const hub = createMemoryHub();
  return { node: (options) => memoryPresence(memoryRegistry({ hub }), { hub, ...options }), close: async () => {} };
});
