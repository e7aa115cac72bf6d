package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
local common = require("common")
setup = common.setup
done = common.done
response = function(status) common.count(status) end

function init(args)
  cards = common.lines(os.getenv("BENCH_DATA") .. "/cards.txt")
  math.randomseed(id * 31)
end

function request()
  local body = string.format(
    '{"card_number": "%s", "amount": "42.50", "currency": "EUR",' ..
    ' "lines": [{"sku": "KOF-250", "category": "coffee", "amount": "7.95"}]}',
    cards[math.random(#cards)][1])
  return wrk.format("POST", "/api/v1/purchases/quote/", common.headers(), body)
end
