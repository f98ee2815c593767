import { describe, expectTypeOf, it } from 'vitest';
import type {
  AnyProtocol,
  ClientMessage,
  ClientMessageName,
  ClientPayload,
  ReceivedClientPayload,
  ReceivedRequestInput,
  ReceivedServerPayload,
  RequestErrorCode,
  RequestFailureReason,
  RequestInput,
  RequestName,
  RequestOutput,
  RequestReply,
  ServerMessage,
  ServerMessageName,
} from '@orrery/protocol';
import { defineProtocol, isRequestError } from '@orrery/protocol';
import { z } from 'zod';
import { chat, mini } from './fixtures.js';

type Chat = typeof chat;
type Msg = { from: string; text: string; at: number };

describe('protocol type inference', () => {
  it('names', () => {
    expectTypeOf<ClientMessageName<Chat>>().toEqualTypeOf<'say' | 'typing'>();
    expectTypeOf<ServerMessageName<Chat>>().toEqualTypeOf<'said' | 'stamped'>();
    expectTypeOf<RequestName<Chat>>().toEqualTypeOf<'history' | 'ping'>();
  });

  it('payloads: sender sees schema input, receiver sees schema output', () => {
    expectTypeOf<ClientPayload<Chat, 'say'>>().toEqualTypeOf<{ text: string }>();
    expectTypeOf<ReceivedClientPayload<Chat, 'say'>>().toEqualTypeOf<{ text: string }>();
    expectTypeOf<ClientPayload<Chat, 'typing'>>().toEqualTypeOf<undefined>();
    expectTypeOf<ReceivedServerPayload<Chat, 'stamped'>>().toEqualTypeOf<{ at: Date }>();
    expectTypeOf<ServerMessage<Chat>>().toEqualTypeOf<
      { readonly name: 'said'; readonly data: Msg } | { readonly name: 'stamped'; readonly data: { at: string } }
    >();
    expectTypeOf<ClientMessage<Chat>>().toEqualTypeOf<
      { readonly name: 'say'; readonly data: { text: string } } | { readonly name: 'typing'; readonly data: undefined }
    >();
  });

  it('requests: input, output and error codes are inferred', () => {
    expectTypeOf<RequestInput<Chat, 'history'>>().toEqualTypeOf<{ room: string; limit?: number | undefined }>();
    expectTypeOf<ReceivedRequestInput<Chat, 'history'>>().toEqualTypeOf<{ room: string; limit: number }>();
    expectTypeOf<RequestOutput<Chat, 'history'>>().toEqualTypeOf<Msg[]>();
    expectTypeOf<RequestReply<Chat, 'ping'>>().toEqualTypeOf<'pong'>();
    expectTypeOf<RequestErrorCode<Chat, 'history'>>().toEqualTypeOf<'NOT_FOUND' | 'FORBIDDEN'>();
    expectTypeOf<RequestErrorCode<Chat, 'ping'>>().toEqualTypeOf<never>();
    expectTypeOf<RequestFailureReason<Chat, 'history'>>().toExtend<string>();
  });

  it('zod/mini schemas infer the same way', () => {
    expectTypeOf<ClientPayload<typeof mini, 'say'>>().toEqualTypeOf<{ text: string }>();
    expectTypeOf<RequestOutput<typeof mini, 'count'>>().toEqualTypeOf<number>();
  });

  it('absent sections have no names', () => {
    const pushOnly = defineProtocol({ server: { tick: z.number() } });
    expectTypeOf<ClientMessageName<typeof pushOnly>>().toEqualTypeOf<never>();
    expectTypeOf<RequestName<typeof pushOnly>>().toEqualTypeOf<never>();
  });

  it('AnyProtocol gives string names and unknown data, for generic code', () => {
    expectTypeOf<ServerMessage<AnyProtocol>>().toEqualTypeOf<{ readonly name: string; readonly data: unknown }>();
    expectTypeOf<RequestName<AnyProtocol>>().toEqualTypeOf<string>();
  });

  it('wrong names and payloads are compile errors', () => {
    // @ts-expect-error: no client message 'shout'
    expectTypeOf<ClientPayload<Chat, 'shout'>>();
    // @ts-expect-error: 'said' is a server message, not a client one
    expectTypeOf<ClientPayload<Chat, 'said'>>();
    const wrong: ServerMessage<Chat>[] = [
      { name: 'said', data: { from: 'a', text: 'b', at: 1 } },
      // @ts-expect-error: text must be a string
      { name: 'said', data: { from: 'a', text: 1, at: 1 } },
      // @ts-expect-error: no server message 'sad'
      { name: 'sad', data: {} },
    ];
    void wrong;
  });

  it('isRequestError narrows the reason to the request\'s codes', () => {
    const err: unknown = undefined;
    if (isRequestError<Chat, 'history'>(err, 'history')) {
      expectTypeOf(err.reason).toEqualTypeOf<'NOT_FOUND' | 'FORBIDDEN' | import('@orrery/protocol').BuiltinRequestFailure>();
    }
    if (isRequestError(err)) expectTypeOf(err.reason).toEqualTypeOf<string>();
  });
});
