-- Engine file: `fastgen update` maintains it (see engine/__init__.py).
-- The room's epoch, prepended to every script (with `PUBLISH`, see redis_history.py).
--
-- Redis replicates asynchronously: a promoted replica (or a master restarted without its
-- data) may lack writes the old master acknowledged, yet keep the replicated meta hash, and
-- would hand out those offsets again. Its replication id changes whenever that can happen,
-- so a history written under another id starts a new epoch: members then see
-- `recovered: false` instead of silently skipping reused offsets.

local function room_epoch(meta, stream, new_epoch, ttl)
  local replid = string.match(redis.call("info", "replication"), "master_replid:(%x+)")
  local known = redis.call("hmget", meta, "e", "r")
  if known[1] and known[2] == replid then
    return known[1]
  end
  -- A new history: whatever an older stream holds belongs to a lost epoch.
  redis.call("del", meta, stream)
  redis.call("hset", meta, "e", new_epoch, "r", replid, "s", 0)
  redis.call("expire", meta, ttl)
  return new_epoch
end
