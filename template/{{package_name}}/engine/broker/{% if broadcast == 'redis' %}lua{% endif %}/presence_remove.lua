-- Engine file: `fastgen update` maintains it (see engine/__init__.py).
-- Remove connections from a room's presence, then sweep expired ones, in one atomic step.
--
-- KEYS[1]  the room's connections (see presence_add.lua)
-- KEYS[2]  the room's users: a hash user -> connection count
-- ARGV[1]  the room's pub/sub channel for presence_leave events ("": no events)
-- ARGV[2]  the encoded presence_leave frame up to its user: '{"type":...,"user":'
-- ARGV[3]  sweep at most this many expired entries (0: no sweep)
-- ARGV[4..] pairs: user, connection id, to remove
-- PUBLISH  (prepended) "publish", or "spublish" for sharded pub/sub on a Cluster
--
-- Expired entries belong to a process that stopped refreshing them (it died, or lost
-- Redis for longer than their lifetime). A user left with no connection is announced
-- once, whoever removes or sweeps its last entry: the script runs alone.
-- Returns how many expired entries were swept (the batch size: there may be more).

local conns, users = KEYS[1], KEYS[2]
local channel, head, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])

local function one_less(user)
  if redis.call("hincrby", users, user, -1) <= 0 then
    redis.call("hdel", users, user)
    if channel ~= "" then
      redis.call(PUBLISH, channel, head .. cjson.encode(user) .. "}")
    end
  end
end

for i = 4, #ARGV, 2 do
  if redis.call("zrem", conns, ARGV[i] .. "\0" .. ARGV[i + 1]) == 1 then
    one_less(ARGV[i])
  end
end

local swept = 0
if batch > 0 then
  local time = redis.call("time")
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local expired = redis.call("zrangebyscore", conns, "-inf", now, "LIMIT", 0, batch)
  for _, entry in ipairs(expired) do
    redis.call("zrem", conns, entry)
    -- The user is everything before the last NUL (the connection id holds none).
    local user = string.match(entry, "^(.*)%z")
    if user then
      one_less(user)
    end
  end
  swept = #expired
end
return swept
