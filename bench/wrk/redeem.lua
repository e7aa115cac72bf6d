-- Buying a cheap reward with points: a fresh Idempotency-Key per request.
package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
local common = require("common")
setup = common.setup
done = common.done
response = function(status) common.count(status) end

function init(args)
  cards = common.lines(os.getenv("BENCH_DATA") .. "/rich.txt")
  reward = os.getenv("BENCH_REWARD_ID")
  run = os.getenv("BENCH_RUN") .. "-" .. os.time()
  counter = 0
  math.randomseed(id * 101)
end

function request()
  counter = counter + 1
  local card = cards[math.random(#cards)][1]
  local headers = common.headers({["Idempotency-Key"] = string.format("R%s-%d-%d", run, id, counter)})
  return wrk.format("POST", "/api/v1/members/" .. card .. "/redemptions/", headers,
    '{"reward_id": ' .. reward .. '}')
end
