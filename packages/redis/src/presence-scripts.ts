/**
 * The Lua scripts of presence. Like the registry's, each runs atomically on one bucket (one
 * Cluster slot): KEYS[1] is the bucket's `nodes` hash (the registry's leases, read here, never
 * written), and every key and channel below shares its hash tag `T` = `{prefix:b}:`.
 *
 * Per group (`S` = `<nsLen>:<ns>:<group>`, the group's suffix):
 *
 * | key / channel      | type    | content                                                  |
 * |--------------------|---------|----------------------------------------------------------|
 * | `T:pn:S`           | hash    | nodeId → its tracked connections; `#e` epoch, `#s` seq    |
 * | `T:pk:S`           | hash    | key → tracked connections of that key (all nodes)         |
 * | `T:pm:<node>:S`    | hash    | member id → `key NUL metaJson` (that node's connections)  |
 * | `T:pc:S`           | channel | the group's changes: `["p",epoch,seq,origin,[ops],last]`  |
 *
 * Per bucket: `T:pg:<node>` (set of the suffixes where a node has rows) and `T:pmark` (hash
 * nodeId → 1: the node's presence in this bucket is whole — set by its sync, removed when it
 * is swept). A node writes only while it is alive (its registry lease) *and* marked, so rows
 * lost to a Redis restart or a sweep are always re-asserted by a sync before new writes land.
 *
 * Every change bumps the group's seq and publishes its ops; a node following the group (it
 * has subscribers) applies them in seq order and reloads on a gap or a new epoch. A group
 * with no row left is deleted (its epoch ends: the last message says so).
 *
 * Ops in messages: `["t",ref,key,meta]` track, `["u",ref]` untrack (both of `origin`),
 * `["n",node,[[ref,key,meta],…]]` node's rows are now exactly these, `["x",node]` node's
 * rows are gone. A row's value keeps the key and the metadata's JSON apart at the last NUL
 * (JSON text never holds a raw NUL; keys may).
 */
import { script, type Script } from './scripts.js';

const PRESENCE = `
local function pn_of(s) return tag .. 'pn:' .. s end
local function pk_of(s) return tag .. 'pk:' .. s end
local function pm_of(node, s) return tag .. 'pm:' .. node .. ':' .. s end
local function key_of(v) return string.match(v, '^(.*)%z') end
local function dec_key(pk, k)
  if redis.call('HINCRBY', pk, k, -1) <= 0 then redis.call('HDEL', pk, k) end
end
local function emit(s, origin, ops)
  local pn = pn_of(s)
  local e = redis.call('HGET', pn, '#e')
  if not e then
    local t = redis.call('TIME')
    e = t[1] .. '.' .. t[2]
    redis.call('HSET', pn, '#e', e)
  end
  local seq = redis.call('HINCRBY', pn, '#s', 1)
  local last = redis.call('EXISTS', pk_of(s)) == 0
  redis.call('SPUBLISH', tag .. 'pc:' .. s, '["p","' .. e .. '",' .. seq .. ',"' .. origin .. '",' .. ops .. ',' .. (last and 1 or 0) .. ']')
  if last then redis.call('DEL', pn) end
end
local function drop_rows(node, s)
  local pk, pm = pk_of(s), pm_of(node, s)
  local vals = redis.call('HVALS', pm)
  for _, v in ipairs(vals) do dec_key(pk, key_of(v)) end
  redis.call('DEL', pm)
  redis.call('HDEL', pn_of(s), node)
  redis.call('SREM', tag .. 'pg:' .. node, s)
  return #vals > 0
end
local function reap_rows(node, s)
  if drop_rows(node, s) then emit(s, self, '[["x","' .. node .. '"]]') end
end
local function reap_node(node)
  for _, s in ipairs(redis.call('SMEMBERS', tag .. 'pg:' .. node)) do reap_rows(node, s) end
  redis.call('DEL', tag .. 'pg:' .. node)
  redis.call('HDEL', tag .. 'pmark', node)
end
local function reap_dead_in(s, now)
  local all = redis.call('HGETALL', pn_of(s))
  for i = 1, #all, 2 do
    local n = all[i]
    if string.sub(n, 1, 1) ~= '#' and n ~= self and not alive(KEYS[1], n, now) then reap_rows(n, s) end
  end
end
local function writable(now)
  return alive(KEYS[1], self, now) and redis.call('HEXISTS', tag .. 'pmark', self) == 1
end
local function set_count(s)
  local n = redis.call('HLEN', pm_of(self, s))
  if n > 0 then
    redis.call('HSET', pn_of(s), self, n)
    redis.call('SADD', tag .. 'pg:' .. self, s)
  else
    redis.call('HDEL', pn_of(s), self)
    redis.call('SREM', tag .. 'pg:' .. self, s)
  end
end
`;

function presenceScript(name: string, body: string): Script {
  return script(`presence_${name}`, 1, `${PRESENCE}\n${body}`);
}

/**
 * This node's ops on one group, in order. ARGV[3] suffix, [4] maxMembers, [5]
 * maxConnectionsPerKey, then per op: kind (`t`/`u`), member id, value (`key NUL meta`, or ''),
 * the op's JSON for the message. → the 0-based indexes of refused track ops; -1 when this
 * node must sync the bucket first (its lease or its mark is missing).
 */
export const PRESENCE_WRITE = presenceScript('write', `
local now = now_ms()
if not writable(now) then return -1 end
local s = ARGV[3]
reap_dead_in(s, now)
local pk, pm = pk_of(s), pm_of(self, s)
local max_members, max_per_key = tonumber(ARGV[4]), tonumber(ARGV[5])
local refused, ops = {}, {}
local index = 0
for i = 6, #ARGV, 4 do
  local kind, ref, v = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local old = redis.call('HGET', pm, ref)
  if kind == 't' then
    local k = key_of(v)
    local ok = true
    if not old or key_of(old) ~= k then
      local n = tonumber(redis.call('HGET', pk, k) or '0')
      if (n == 0 and redis.call('HLEN', pk) >= max_members) or n >= max_per_key then ok = false end
    end
    if ok then
      if old then dec_key(pk, key_of(old)) end
      redis.call('HSET', pm, ref, v)
      redis.call('HINCRBY', pk, k, 1)
      ops[#ops + 1] = ARGV[i + 3]
    else
      refused[#refused + 1] = index
    end
  elseif old then
    dec_key(pk, key_of(old))
    redis.call('HDEL', pm, ref)
    ops[#ops + 1] = ARGV[i + 3]
  end
  index = index + 1
end
set_count(s)
if #ops > 0 then emit(s, self, '[' .. table.concat(ops, ',') .. ']') end
return refused
`);

/**
 * Make the bucket hold exactly this node's rows (after a Redis restart, a sweep, a failed
 * write), and mark the node. ARGV[3] group count, then per group: suffix, row count N, the
 * `n` op's JSON, then N pairs (member id, value). → 1, or -1 when the lease is missing.
 */
export const PRESENCE_SYNC = presenceScript('sync', `
local now = now_ms()
if not alive(KEYS[1], self, now) then return -1 end
local want = {}
local i = 4
for _ = 1, tonumber(ARGV[3]) do
  local s, n, op = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  i = i + 3
  want[s] = true
  reap_dead_in(s, now)
  drop_rows(self, s)
  local pk, pm = pk_of(s), pm_of(self, s)
  for _ = 1, n do
    redis.call('HSET', pm, ARGV[i], ARGV[i + 1])
    redis.call('HINCRBY', pk, key_of(ARGV[i + 1]), 1)
    i = i + 2
  end
  set_count(s)
  emit(s, self, '[' .. op .. ']')
end
for _, s in ipairs(redis.call('SMEMBERS', tag .. 'pg:' .. self)) do
  if not want[s] and drop_rows(self, s) then emit(s, self, '[["x","' .. self .. '"]]') end
end
redis.call('HSET', tag .. 'pmark', self, 1)
return 1
`);

/**
 * Housekeeping of one bucket: sweep the presence of nodes whose lease lapsed, and report.
 * ARGV[3…] suffixes of the groups this node follows. → {-1} when this node's lease is
 * missing; else {mark (1 or 0), then per suffix: epoch ('' when the group does not exist), seq}.
 */
export const PRESENCE_BEAT = presenceScript('beat', `
local now = now_ms()
if not alive(KEYS[1], self, now) then return { -1 } end
for _, n in ipairs(redis.call('HKEYS', tag .. 'pmark')) do
  if n ~= self and not alive(KEYS[1], n, now) then reap_node(n) end
end
local out = { redis.call('HEXISTS', tag .. 'pmark', self) }
for i = 3, #ARGV do
  local pn = pn_of(ARGV[i])
  out[#out + 1] = redis.call('HGET', pn, '#e') or ''
  out[#out + 1] = tonumber(redis.call('HGET', pn, '#s') or '0')
end
return out
`);

/**
 * Every live row of a group. ARGV[3] suffix → {epoch ('' when none), seq, then per node:
 * node id, row count N, N pairs (member id, value)}.
 */
export const PRESENCE_SNAPSHOT = presenceScript('snapshot', `
local s = ARGV[3]
reap_dead_in(s, now_ms())
local pn = pn_of(s)
local out = { redis.call('HGET', pn, '#e') or '', tonumber(redis.call('HGET', pn, '#s') or '0') }
for _, n in ipairs(redis.call('HKEYS', pn)) do
  if string.sub(n, 1, 1) ~= '#' then
    local rows = redis.call('HGETALL', pm_of(n, s))
    out[#out + 1] = n
    out[#out + 1] = #rows / 2
    for j = 1, #rows do out[#out + 1] = rows[j] end
  end
end
return out
`);

/** The number of members (keys) of a group on live nodes. ARGV[3] suffix → count. */
export const PRESENCE_COUNT = presenceScript('count', `
local s = ARGV[3]
reap_dead_in(s, now_ms())
return redis.call('HLEN', pk_of(s))
`);

/** Remove this node's presence from the bucket (on close) → 1. */
export const PRESENCE_RETIRE = presenceScript('retire', `
reap_node(self)
return 1
`);

/** Every presence script, to define on each client. */
export const PRESENCE_SCRIPTS: readonly Script[] = [PRESENCE_WRITE, PRESENCE_SYNC, PRESENCE_BEAT, PRESENCE_SNAPSHOT, PRESENCE_COUNT, PRESENCE_RETIRE];
