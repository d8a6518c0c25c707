-- Engine file: `fastgen update` maintains it (see engine/__init__.py).
-- Read a room's position and history in one atomic step (see epoch.lua for its epoch).
--
-- KEYS[1]  the room's meta hash: "e" its epoch, "r" the replication id it is valid under
--          (epoch.lua), "s" its latest offset
-- KEYS[2]  the room's history stream (entry id = offset, field "d" = the frame)
-- ARGV[1]  return the entries after this offset ("": none, unless ARGV[4] asks)
-- ARGV[2]  the epoch to start if the room has none, or may have lost messages (epoch.lua)
-- ARGV[3]  seconds a started history lives without messages
-- ARGV[4]  return the last this many entries instead, newest first ("": none)
--
-- Returns {offset, epoch, entries}; entries as XRANGE gives them: {id, {"d", frame}}.

local meta, stream = KEYS[1], KEYS[2]
local after, new_epoch, ttl, last = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local epoch = room_epoch(meta, stream, new_epoch, ttl)
local offset = tonumber(redis.call("hget", meta, "s") or "0")

local entries = {}
if after ~= "" then
  if tonumber(after) < offset then
    entries = redis.call("xrange", stream, tonumber(after) + 1, "+")
  end
elseif last ~= "" then
  entries = redis.call("xrevrange", stream, "+", "-", "COUNT", last)
end
return {offset, epoch, entries}
