/**
 * A room's recent history, read by the tRPC `history` query and appended to by every message.
 *
 * Two stores with one interface: in memory (one process) and in Redis (a list per room, so
 * every node of a cluster serves the same history). Both keep the last
 * `CHAT_LIMITS.historySize` entries of a room.
 */
import { Redis } from 'ioredis';
import { CHAT_LIMITS, ChatEntry, type ChatEntryValue } from '../src/shared/chat-protocol.js';

/** Where rooms keep their recent lines. */
export interface HistoryStore {
  /** Add a line at the end of its room's history (the oldest falls off past the limit). */
  append(entry: ChatEntryValue): Promise<void>;
  /** The room's last `limit` lines, oldest first. */
  recent(room: string, limit?: number): Promise<ChatEntryValue[]>;
  /** Release connections (Redis). */
  close(): Promise<void>;
}

/** Options of {@link memoryHistory}. */
export interface MemoryHistoryOptions {
  /**
   * Rooms kept at most; past it the room written to least recently is forgotten (room names
   * are free-form, so the map must not grow without bound).
   * @default 1_000
   */
  maxRooms?: number;
}

/** History in this process. */
export function memoryHistory(options: MemoryHistoryOptions = {}): HistoryStore {
  const maxRooms = options.maxRooms ?? 1_000;
  // A Map iterates in insertion order: re-inserting on write keeps the least recent first.
  const rooms = new Map<string, ChatEntryValue[]>();
  return {
    append: async (entry) => {
      const lines = rooms.get(entry.room) ?? [];
      rooms.delete(entry.room);
      lines.push(entry);
      if (lines.length > CHAT_LIMITS.historySize) lines.splice(0, lines.length - CHAT_LIMITS.historySize);
      rooms.set(entry.room, lines);
      if (rooms.size > maxRooms) rooms.delete(rooms.keys().next().value as string);
    },
    recent: async (room, limit = CHAT_LIMITS.historySize) => (rooms.get(room) ?? []).slice(-limit),
    close: async () => {
      rooms.clear();
    },
  };
}

/** Options of {@link redisHistory}. */
export interface RedisHistoryOptions {
  /** `redis://host:port` of the Redis the cluster shares. */
  url: string;
  /** Key prefix. @default 'orrery-demo:history:' */
  prefix?: string;
  /** A room's history expires this long after its last message. @default 7 days */
  ttlSeconds?: number;
}

/** History in Redis: one list per room, shared by every node. */
export function redisHistory(options: RedisHistoryOptions): HistoryStore {
  const prefix = options.prefix ?? 'orrery-demo:history:';
  const ttl = options.ttlSeconds ?? 7 * 24 * 3600;
  // Fail fast when Redis is away: the history query then errors instead of hanging.
  const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  redis.on('error', () => {
    // Reported through the failing calls; ioredis reconnects by itself.
  });
  return {
    append: async (entry) => {
      const key = prefix + entry.room;
      await redis
        .multi()
        .rpush(key, JSON.stringify(entry))
        .ltrim(key, -CHAT_LIMITS.historySize, -1)
        .expire(key, ttl)
        .exec();
    },
    recent: async (room, limit = CHAT_LIMITS.historySize) => {
      const lines = await redis.lrange(prefix + room, -limit, -1);
      return lines.flatMap((line) => decode(line));
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** A stored line, or nothing when it does not parse as a chat entry (skipped, never thrown). */
function decode(line: string): ChatEntryValue[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return [];
  }
  const checked = ChatEntry['~standard'].validate(value);
  return checked instanceof Promise || checked.issues !== undefined ? [] : [checked.value];
}
