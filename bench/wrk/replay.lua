-- Retries of purchases already recorded: the idempotent replay path.
package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
local common = require("common")
setup = common.setup
done = common.done
response = function(status) common.count(status) end

function init(args)
  rows = common.lines(os.getenv("BENCH_DATA") .. "/replay.txt")
  math.randomseed(id * 104729)
end

function request()
  local row = rows[math.random(#rows)]
  local body = string.format(
    '{"transaction_id": "%s", "card_number": "%s", "amount": "25.00", "currency": "EUR"}', row[1], row[2])
  return wrk.format("POST", "/api/v1/purchases/", common.headers(), body)
end
