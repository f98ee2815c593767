/**
 * The Lua scripts of the registry. Each runs on one bucket (one Cluster slot: KEYS[1] is the
 * bucket's `nodes` hash and every other key or channel shares its hash tag), atomically.
 *
 * Liveness: a node is alive in a bucket while its deadline in `T:nodes` is ahead of the Redis
 * clock (`TIME`, the same clock for every key of the slot). A name or group count whose owner
 * is not alive does not count, and is swept ("reaped") by the next heartbeat of any live node.
 *
 * Common ARGV: [1] the bucket tag `{prefix:b}:`, [2] this node's id.
 */
/** A script, defined on the ioredis client under `name` with a fixed number of keys. */
export interface Script {
  /** The ioredis command name (`orrery_<name>`). */
  readonly name: string;
  readonly lua: string;
  /** How many of the arguments are keys (KEYS[1] is always the bucket's slot). */
  readonly keys: number;
  /**
   * What the caller does when the script answers -1 (this node's lease is missing in the
   * bucket): sync the bucket, then `'retry'` the script, or take the sync as the answer
   * (`'synced'`: the sync wrote the current local state, which is what the script wanted).
   */
  readonly afterSync: 'retry' | 'synced';
}

const HELPERS = `
local tag, self = ARGV[1], ARGV[2]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function alive(nodes, node, now)
  local d = redis.call('HGET', nodes, node)
  return d ~= false and tonumber(d) ~= nil and tonumber(d) >= now
end
local function owner_of(v)
  return string.match(v, '^([^ ]+) ')
end
local function reap(nodes, node)
  local on = tag .. 'on:' .. node
  for _, k in ipairs(redis.call('SMEMBERS', on)) do
    local v = redis.call('GET', k)
    if v and owner_of(v) == node then redis.call('DEL', k) end
  end
  redis.call('DEL', on)
  local og = tag .. 'og:' .. node
  for _, k in ipairs(redis.call('SMEMBERS', og)) do redis.call('HDEL', k, node) end
  redis.call('DEL', og)
  redis.call('HDEL', nodes, node)
end
local function reap_dead(nodes, now)
  local all = redis.call('HGETALL', nodes)
  for i = 1, #all, 2 do
    local d = tonumber(all[i + 1])
    if all[i] ~= self and (d == nil or d < now) then reap(nodes, all[i]) end
  end
end
`;

/** A script with the common helpers (also used by `presence-scripts.ts`). */
export function script(name: string, keys: number, body: string, afterSync: 'retry' | 'synced' = 'retry'): Script {
  return { name: `orrery_${name}`, lua: `${HELPERS}\n${body}`, keys, afterSync };
}

/** ARGV[3] lease ms → 1 renewed; 0 this node's lease is missing or lapsed (the caller must sync). */
export const HEARTBEAT = script('heartbeat', 1, `
local now = now_ms()
if not alive(KEYS[1], self, now) then return 0 end
redis.call('HSET', KEYS[1], self, now + tonumber(ARGV[3]))
reap_dead(KEYS[1], now)
return 1
`);

/**
 * Make the bucket hold exactly this node's local state (re-assertion after a reconnect, a
 * Redis restart or a lapsed lease). ARGV[3] lease ms, [4] name count N, then N pairs
 * (name key, member id), then pairs (group key, count). Returns the name keys that another
 * live node holds (conflicts: this node lost them while its lease had lapsed).
 */
export const SYNC = script('sync', 1, `
local now = now_ms()
redis.call('HSET', KEYS[1], self, now + tonumber(ARGV[3]))
reap_dead(KEYS[1], now)
local on, og = tag .. 'on:' .. self, tag .. 'og:' .. self
local n = tonumber(ARGV[4])
local want, conflicts = {}, {}
for i = 5, 4 + 2 * n, 2 do
  local k = ARGV[i]
  local v = redis.call('GET', k)
  local o = v and owner_of(v)
  if o and o ~= self and alive(KEYS[1], o, now) then
    conflicts[#conflicts + 1] = k
  else
    if o and o ~= self then redis.call('SREM', tag .. 'on:' .. o, k) end
    redis.call('SET', k, self .. ' ' .. ARGV[i + 1])
    redis.call('SADD', on, k)
    want[k] = true
  end
end
for _, k in ipairs(redis.call('SMEMBERS', on)) do
  if not want[k] then
    local v = redis.call('GET', k)
    if v and owner_of(v) == self then redis.call('DEL', k) end
    redis.call('SREM', on, k)
  end
end
local wantg = {}
for i = 5 + 2 * n, #ARGV, 2 do
  redis.call('HSET', ARGV[i], self, ARGV[i + 1])
  redis.call('SADD', og, ARGV[i])
  wantg[ARGV[i]] = true
end
for _, k in ipairs(redis.call('SMEMBERS', og)) do
  if not wantg[k] then
    redis.call('HDEL', k, self)
    redis.call('SREM', og, k)
  end
end
return conflicts
`);

/** KEYS[2] name key; ARGV[3] member id → 1 registered, 0 taken by a live node, -1 sync first. */
export const REGISTER = script('register', 2, `
local now = now_ms()
if not alive(KEYS[1], self, now) then return -1 end
local v = redis.call('GET', KEYS[2])
local o = v and owner_of(v)
if o and o ~= self then
  if alive(KEYS[1], o, now) then return 0 end
  redis.call('SREM', tag .. 'on:' .. o, KEYS[2])
end
redis.call('SET', KEYS[2], self .. ' ' .. ARGV[3])
redis.call('SADD', tag .. 'on:' .. self, KEYS[2])
return 1
`);

/** KEYS[2] name key; ARGV[3] member id → 1 deleted, 0 not held by that member. */
export const UNREGISTER = script('unregister', 2, `
if redis.call('GET', KEYS[2]) == self .. ' ' .. ARGV[3] then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', tag .. 'on:' .. self, KEYS[2])
  return 1
end
return 0
`);

/**
 * KEYS[2] name key; ARGV[3] payload → 1 published to the live owner's inbox, 0 no live owner.
 * One round trip for a remote `sendMessage`.
 */
export const SEND = script('send', 2, `
local v = redis.call('GET', KEYS[2])
local o = v and owner_of(v)
if not o or not alive(KEYS[1], o, now_ms()) then return 0 end
redis.call('SPUBLISH', tag .. 'i:' .. o, ARGV[3])
return 1
`);

/** KEYS[2] group key; ARGV[3] this node's member count (0 = none) → 1 done, -1 sync first. */
export const GROUP_COUNT = script('group_count', 2, `
local og = tag .. 'og:' .. self
if ARGV[3] == '0' then
  redis.call('HDEL', KEYS[2], self)
  redis.call('SREM', og, KEYS[2])
  return 1
end
if not alive(KEYS[1], self, now_ms()) then return -1 end
redis.call('HSET', KEYS[2], self, ARGV[3])
redis.call('SADD', og, KEYS[2])
return 1
`, 'synced');

/**
 * KEYS[2] group key; ARGV[3] channel, [4] payload → the members on other live nodes
 * (the caller adds its own). Publishes first: the count is of intended recipients.
 */
export const PUBLISH = script('publish', 2, `
redis.call('SPUBLISH', ARGV[3], ARGV[4])
local now = now_ms()
local all = redis.call('HGETALL', KEYS[2])
local total = 0
for i = 1, #all, 2 do
  if all[i] ~= self and alive(KEYS[1], all[i], now) then total = total + tonumber(all[i + 1]) end
end
return total
`);

/** Remove everything this node holds in the bucket (on close) → 1. */
export const RETIRE = script('retire', 1, `
reap(KEYS[1], self)
return 1
`);

/** KEYS[1] the layout key; ARGV[3] this node's layout → the layout every node must share. */
export const LAYOUT = script('layout', 1, `
redis.call('SET', KEYS[1], ARGV[3], 'NX')
return redis.call('GET', KEYS[1])
`);

/** Every script, to define on each client. */
export const ALL_SCRIPTS: readonly Script[] = [HEARTBEAT, SYNC, REGISTER, UNREGISTER, SEND, GROUP_COUNT, PUBLISH, RETIRE, LAYOUT];
