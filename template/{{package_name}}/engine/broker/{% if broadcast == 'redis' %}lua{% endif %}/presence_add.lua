-- Engine file: `fastgen update` maintains it (see engine/__init__.py).
-- Count connections as present in a room (or refresh them), in one atomic step.
--
-- KEYS[1]  the room's connections: a sorted set of "<user>\0<connection id>", scored by
--          the time (ms, Redis's clock) the entry expires unless refreshed
-- KEYS[2]  the room's users: a hash user -> how many connections it has in the room
-- ARGV[1]  the room's pub/sub channel for presence_join events ("": no events)
-- ARGV[2]  milliseconds an entry lives without a refresh
-- ARGV[3]  the encoded presence_join frame up to its user: '{"type":...,"user":'
-- ARGV[4..] pairs: user, connection id
-- PUBLISH  (prepended) "publish", or "spublish" for sharded pub/sub on a Cluster
--
-- A user whose first connection this is (on any process) is announced on the channel as
-- a frame without an offset: ephemeral, never part of the room's history.
-- Returns how many entries were new (the others were refreshed).

local conns, users = KEYS[1], KEYS[2]
local channel, lifetime, head = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local time = redis.call("time")
local expires = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + lifetime

local added = 0
for i = 4, #ARGV, 2 do
  local user = ARGV[i]
  if redis.call("zadd", conns, expires, user .. "\0" .. ARGV[i + 1]) == 1 then
    added = added + 1
    if redis.call("hincrby", users, user, 1) == 1 and channel ~= "" then
      redis.call(PUBLISH, channel, head .. cjson.encode(user) .. "}")
    end
  end
end
-- With every process gone, nobody refreshes: the keys vanish with their last entry.
redis.call("pexpire", conns, lifetime)
redis.call("pexpire", users, lifetime)
return added
