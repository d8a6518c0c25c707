-- Engine file: `fastgen update` maintains it (see engine/__init__.py).
-- A room's users with their connection counts, at most ARGV[1] of them, and how many in all.
--
-- KEYS[1]  the room's users: a hash user -> connection count
-- ARGV[1]  the cap: a huge room costs one bounded read, never all of its users
--
-- Returns {total, {user, count, user, count, ...}}.

local users, cap = KEYS[1], tonumber(ARGV[1])
local total = redis.call("hlen", users)
if total <= cap then
  return {total, redis.call("hgetall", users)}
end
local found, cursor = {}, "0"
repeat
  local page = redis.call("hscan", users, cursor, "COUNT", cap)
  cursor = page[1]
  local fields = page[2]
  for i = 1, #fields, 2 do
    if #found >= 2 * cap then
      break
    end
    found[#found + 1] = fields[i]
    found[#found + 1] = fields[i + 1]
  end
until cursor == "0" or #found >= 2 * cap
return {total, found}
