/** A protocol used by the protocol package's tests: full zod, with a transform and errors. */
import { z } from 'zod';
import * as zm from 'zod/mini';
import { defineProtocol } from '@orrery/protocol';

export const Message = z.object({ from: z.string(), text: z.string(), at: z.number() });

export const chat = defineProtocol({
  client: {
    say: z.object({ text: z.string().min(1).max(2000) }),
    typing: z.undefined(),
  },
  server: {
    said: Message,
    // input: ISO string; output: a Date (receivers see the transformed value)
    stamped: z.object({ at: z.string().transform((s) => new Date(s)) }),
  },
  requests: {
    history: { input: z.object({ room: z.string(), limit: z.number().default(50) }), output: z.array(Message), errors: ['NOT_FOUND', 'FORBIDDEN'] },
    ping: { input: z.undefined(), output: z.literal('pong') },
  },
});

/** The same shapes with zod/mini. */
export const mini = defineProtocol({
  client: { say: zm.object({ text: zm.string().check(zm.minLength(1)) }) },
  server: { said: zm.object({ from: zm.string(), text: zm.string() }) },
  requests: { count: { input: zm.object({ room: zm.string() }), output: zm.number() } },
});
