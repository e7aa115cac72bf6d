-- A new purchase per request: a unique transaction id, a random member from the sample.
-- BENCH_PATH: the same body to another view (the framework floor of bench/floor/).
package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
local common = require("common")
setup = common.setup
done = common.done
response = function(status) common.count(status) end

function init(args)
  cards = common.lines(os.getenv("BENCH_DATA") .. "/cards.txt")
  counter = 0
  math.randomseed(id * 7919 + os.time())
  -- Each wrk invocation (warm-up, measurement) gets new transaction ids.
  run = os.getenv("BENCH_RUN") .. "-" .. os.time()
  path = os.getenv("BENCH_PATH") or "/api/v1/purchases/"
end

function request()
  counter = counter + 1
  local card = cards[math.random(#cards)][1]
  local cents = math.random(500, 15000)
  local body = string.format(
    '{"transaction_id": "W%s-%d-%d", "card_number": "%s", "amount": "%d.%02d", "currency": "EUR",' ..
    ' "lines": [{"sku": "KOF-250", "category": "coffee", "amount": "5.00"}]}',
    run, id, counter, card, math.floor(cents / 100), cents % 100)
  return wrk.format("POST", path, common.headers(), body)
end
