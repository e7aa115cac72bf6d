package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
local common = require("common")
setup = common.setup
done = common.done
response = function(status) common.count(status) end

function init(args)
  cards = common.lines(os.getenv("BENCH_DATA") .. "/cards.txt")
  math.randomseed(id * 17)
end

function request()
  return wrk.format("GET", "/api/v1/members/" .. cards[math.random(#cards)][1] .. "/", common.headers())
end
