-- Engine file: `fastgen update` maintains it (see engine/__init__.py).
-- Publish one message to a room, in one atomic step: next offset, history, pub/sub.
--
-- KEYS[1]  the room's meta hash: "e" its epoch, "r" the replication id it is valid under
--          (epoch.lua), "s" its latest offset
-- KEYS[2]  the room's history stream (entry id = offset, field "d" = the frame)
-- KEYS[3]  optional: the message-id key (sender and id), remembering where it went
-- ARGV[1]  the room's pub/sub channel
-- ARGV[2]  the encoded JSON frame without its closing "}" (offset and epoch go there)
-- ARGV[3]  history size (0: no history, offsets only)
-- ARGV[4]  seconds the history, meta and message id outlive this message
-- ARGV[5]  the epoch to start if the room has none, or may have lost messages (epoch.lua)
-- PUBLISH  (prepended) "publish", or "spublish" for sharded pub/sub on a Cluster
--
-- Returns {offset, epoch, 1 if the message id was published before (nothing done) else 0}.
-- Pub/sub carries "<offset>:<epoch>:<frame>", so readers see gaps without decoding JSON.

local meta, stream, id_key = KEYS[1], KEYS[2], KEYS[3]
local channel, head, size, ttl, new_epoch = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]

if id_key then
  local known = redis.call("hmget", id_key, "o", "e")
  if known[1] then
    return {tonumber(known[1]), known[2], 1}
  end
end

local epoch = room_epoch(meta, stream, new_epoch, ttl)
local offset = redis.call("hincrby", meta, "s", 1)
redis.call("expire", meta, ttl)

local frame = head .. ',"offset":' .. offset .. ',"epoch":"' .. epoch .. '"}'
if size > 0 then
  redis.call("xadd", stream, "MAXLEN", "~", size, offset, "d", frame)
  redis.call("expire", stream, ttl)
end
redis.call(PUBLISH, channel, offset .. ":" .. epoch .. ":" .. frame)

if id_key then
  redis.call("hset", id_key, "o", offset, "e", epoch)
  redis.call("expire", id_key, ttl)
end
return {offset, epoch, 0}
